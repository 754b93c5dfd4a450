package language

import "github.com/abadojack/whatlanggo"

// code returns the BCP 47 primary language subtag of a whatlanggo language: its
// ISO 639-1 code where ISO 639-1 has one, else its ISO 639-3 code, as BCP 47
// prescribes. whatlanggo detects individual languages; where ISO 639-1 codes
// only their macrolanguage, the macrolanguage's code is used (SIL's ISO 639-3
// macrolanguage mappings: arb in ara = ar, azj in aze = az, cmn in zho = zh,
// pes in fas = fa, ydd in yid = yi). whatlanggo's own Iso6391 leaves pes and ydd
// without a code and gives bho "bh", which ISO 639-1 assigned to the Bihari
// languages collection, not to Bhojpuri; here bho keeps its ISO 639-3 code, as
// do ceb, ilo, mai and skr, which have no ISO 639-1 code.
func code(l whatlanggo.Lang) string {
	switch l {
	case whatlanggo.Afr:
		return "af"
	case whatlanggo.Aka:
		return "ak"
	case whatlanggo.Amh:
		return "am"
	case whatlanggo.Arb:
		return "ar"
	case whatlanggo.Azj:
		return "az"
	case whatlanggo.Bel:
		return "be"
	case whatlanggo.Ben:
		return "bn"
	case whatlanggo.Bho:
		return "bho"
	case whatlanggo.Bul:
		return "bg"
	case whatlanggo.Ceb:
		return "ceb"
	case whatlanggo.Ces:
		return "cs"
	case whatlanggo.Cmn:
		return "zh"
	case whatlanggo.Dan:
		return "da"
	case whatlanggo.Deu:
		return "de"
	case whatlanggo.Ell:
		return "el"
	case whatlanggo.Eng:
		return "en"
	case whatlanggo.Epo:
		return "eo"
	case whatlanggo.Est:
		return "et"
	case whatlanggo.Fin:
		return "fi"
	case whatlanggo.Fra:
		return "fr"
	case whatlanggo.Guj:
		return "gu"
	case whatlanggo.Hat:
		return "ht"
	case whatlanggo.Hau:
		return "ha"
	case whatlanggo.Heb:
		return "he"
	case whatlanggo.Hin:
		return "hi"
	case whatlanggo.Hrv:
		return "hr"
	case whatlanggo.Hun:
		return "hu"
	case whatlanggo.Ibo:
		return "ig"
	case whatlanggo.Ilo:
		return "ilo"
	case whatlanggo.Ind:
		return "id"
	case whatlanggo.Ita:
		return "it"
	case whatlanggo.Jav:
		return "jv"
	case whatlanggo.Jpn:
		return "ja"
	case whatlanggo.Kan:
		return "kn"
	case whatlanggo.Kat:
		return "ka"
	case whatlanggo.Khm:
		return "km"
	case whatlanggo.Kin:
		return "rw"
	case whatlanggo.Kor:
		return "ko"
	case whatlanggo.Kur:
		return "ku"
	case whatlanggo.Lav:
		return "lv"
	case whatlanggo.Lit:
		return "lt"
	case whatlanggo.Mai:
		return "mai"
	case whatlanggo.Mal:
		return "ml"
	case whatlanggo.Mar:
		return "mr"
	case whatlanggo.Mkd:
		return "mk"
	case whatlanggo.Mlg:
		return "mg"
	case whatlanggo.Mya:
		return "my"
	case whatlanggo.Nep:
		return "ne"
	case whatlanggo.Nld:
		return "nl"
	case whatlanggo.Nno:
		return "nn"
	case whatlanggo.Nob:
		return "nb"
	case whatlanggo.Nya:
		return "ny"
	case whatlanggo.Ori:
		return "or"
	case whatlanggo.Orm:
		return "om"
	case whatlanggo.Pan:
		return "pa"
	case whatlanggo.Pes:
		return "fa"
	case whatlanggo.Pol:
		return "pl"
	case whatlanggo.Por:
		return "pt"
	case whatlanggo.Ron:
		return "ro"
	case whatlanggo.Run:
		return "rn"
	case whatlanggo.Rus:
		return "ru"
	case whatlanggo.Sin:
		return "si"
	case whatlanggo.Skr:
		return "skr"
	case whatlanggo.Slv:
		return "sl"
	case whatlanggo.Sna:
		return "sn"
	case whatlanggo.Som:
		return "so"
	case whatlanggo.Spa:
		return "es"
	case whatlanggo.Srp:
		return "sr"
	case whatlanggo.Swe:
		return "sv"
	case whatlanggo.Tam:
		return "ta"
	case whatlanggo.Tel:
		return "te"
	case whatlanggo.Tgl:
		return "tl"
	case whatlanggo.Tha:
		return "th"
	case whatlanggo.Tir:
		return "ti"
	case whatlanggo.Tuk:
		return "tk"
	case whatlanggo.Tur:
		return "tr"
	case whatlanggo.Uig:
		return "ug"
	case whatlanggo.Ukr:
		return "uk"
	case whatlanggo.Urd:
		return "ur"
	case whatlanggo.Uzb:
		return "uz"
	case whatlanggo.Vie:
		return "vi"
	case whatlanggo.Ydd:
		return "yi"
	case whatlanggo.Yor:
		return "yo"
	case whatlanggo.Zul:
		return "zu"
	}
	return ""
}

// languages returns every language whatlanggo can report, in its order. Its
// languages are the consecutive Lang values from 0 that have an ISO 639-3 code.
func languages() []whatlanggo.Lang {
	var out []whatlanggo.Lang
	for l := whatlanggo.Lang(0); l.Iso6393() != ""; l++ {
		out = append(out, l)
	}
	return out
}
