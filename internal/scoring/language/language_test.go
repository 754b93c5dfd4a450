package language

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/abadojack/whatlanggo"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func newTestScorer(t testing.TB, params string) scoring.Scorer {
	t.Helper()
	s, err := Language().New(json.RawMessage(params))
	if err != nil {
		t.Fatalf("New(%s): %v", params, err)
	}
	return s
}

func score(t testing.TB, s scoring.Scorer, text string) scoring.Result {
	t.Helper()
	res, err := s.Score(context.Background(), scoring.Item{Response: text})
	if err != nil {
		t.Fatalf("Score(%q): %v", text, err)
	}
	return res
}

// sentences are written for these tests, one per language; want is the
// language each was written in.
var sentences = []struct {
	want, text string
}{
	{"en", "The weather was lovely this morning, so we decided to walk to the market and buy fresh bread."},
	{"de", "Gestern Abend haben wir mit unseren Freunden in einem kleinen Restaurant am Fluss gegessen."},
	{"fr", "Nous avons passé tout l'après-midi à discuter de nos projets pour les vacances d'été."},
	{"es", "Mi hermana trabaja en un hospital y siempre llega a casa muy cansada después del turno de noche."},
	{"it", "Domani mattina andremo al mercato per comprare frutta e verdura fresca per la settimana."},
	{"pt", "O meu irmão mais novo está a aprender a tocar guitarra e pratica todos os dias depois da escola."},
	{"nl", "Wij gaan dit weekend met de fiets naar het strand, als het tenminste niet gaat regenen."},
	{"ru", "Вчера вечером мы долго гуляли по парку и разговаривали о наших планах на лето."},
	{"zh", "我们明天早上要去图书馆借几本关于历史的书，然后一起吃午饭。"},
	{"ja", "昨日は友達と一緒に新しいレストランで晩ご飯を食べました。とても美味しかったです。"},
	{"ko", "저는 주말마다 가족과 함께 공원에서 산책을 하면서 이야기를 나눕니다."},
	{"ar", "ذهبنا إلى السوق في الصباح واشترينا الخبز والفواكه الطازجة للعائلة."},
	{"hi", "कल शाम हम अपने दोस्तों के साथ पार्क में घूमने गए और बहुत देर तक बातें कीं।"},
	{"tr", "Dün akşam arkadaşlarımla birlikte sahilde yürüyüş yaptık ve uzun uzun sohbet ettik."},
	{"pl", "W przyszłym tygodniu jedziemy z rodziną w góry, żeby odpocząć od miejskiego hałasu."},
}

func TestDetectsLanguages(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	for _, tt := range sentences {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			res := score(t, s, tt.text)
			if got := res.Details["language"]; got != tt.want {
				t.Errorf("language = %v, want %s (details %v)", got, tt.want, res.Details)
			}
			c, _ := res.Details["confidence"].(float64)
			if c <= 0 || c > 1 || res.Value != c {
				t.Errorf("value = %v, confidence = %v, want equal and in (0, 1]", res.Value, c)
			}
			if res.Passed != nil {
				t.Errorf("passed = %v, want nil without expected", *res.Passed)
			}
		})
	}
}

func TestExpected(t *testing.T) {
	t.Parallel()
	for _, tt := range sentences {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			match := newTestScorer(t, `{"expected": "`+tt.want+`"}`)
			res := score(t, match, tt.text)
			if res.Value != 1 || res.Passed == nil || !*res.Passed || res.Details["match"] != true {
				t.Errorf("expected %s: value = %v, passed = %v, match = %v; want 1, true, true", tt.want, res.Value, res.Passed, res.Details["match"])
			}
			other := "en"
			if tt.want == "en" {
				other = "de"
			}
			mismatch := newTestScorer(t, `{"expected": "`+other+`"}`)
			res = score(t, mismatch, tt.text)
			if res.Value != 0 || res.Passed == nil || *res.Passed || res.Details["match"] != false {
				t.Errorf("expected %s: value = %v, passed = %v, match = %v; want 0, false, false", other, res.Value, res.Passed, res.Details["match"])
			}
		})
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"expected": "nb", "allow": ["de", "nl", "de"]}`)
	res := score(t, s, sentences[1].text) // German
	if res.Value != 1 || !*res.Passed {
		t.Errorf("value = %v, passed = %v, want 1, true", res.Value, *res.Passed)
	}
	if got, want := res.Details["accepted"], []string{"de", "nb", "nl"}; !slices.Equal(got.([]string), want) {
		t.Errorf("accepted = %v, want %v", got, want)
	}
	res = score(t, s, sentences[0].text) // English
	if res.Value != 0 || *res.Passed {
		t.Errorf("value = %v, passed = %v, want 0, false", res.Value, *res.Passed)
	}
	only := newTestScorer(t, `{"allow": ["fr", "it"]}`)
	if res := score(t, only, sentences[2].text); res.Value != 1 || !*res.Passed {
		t.Errorf("allow only, French: value = %v, passed = %v, want 1, true", res.Value, *res.Passed)
	}
}

func TestUndetermined(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", reasonTooShort},
		{"whitespace", " \n\t ", reasonTooShort},
		{"ok", "OK", reasonTooShort},
		{"thanks", "Thanks a lot!", reasonTooShort}, // 10 letters
		{"short chinese", "你好", reasonTooShort},     // 2 letters; whatlanggo alone says cmn, 1.0
		{"digits and punctuation", "12345 + 67890 = 80235; 3.14159", reasonTooShort},
		{"emoji", "🎉🎉🎉 👍👍👍 ✓✓✓ 🙂🙂🙂 🎉🎉🎉 👍👍👍 ✓✓✓", reasonTooShort},
		{"fenced code only", "```go\nfunc main() {\n\tfmt.Println(\"hello, world\")\n}\n```\n", reasonTooShort},
		{"tilde fence only", "~~~\nSELECT name, email FROM customers WHERE active = true;\n~~~", reasonTooShort},
		{"unfenced go", "func main() {\n\tfmt.Println(\"hello\")\n\tfor i := 0; i < 10; i++ {\n\t\tx[i] = i * 2\n\t}\n}", reasonCode},
		{"unfenced python", "def f(x):\n    return [y**2 for y in range(x) if y % 2 == 0]\n\nprint(f(10))", reasonCode},
		{"json", `{"id": 42, "tags": ["alpha", "beta"], "enabled": true, "owner": {"name": "ops"}}`, reasonCode},
		{"html", `<div class="box"><p>Hello <b>world</b>, welcome back</p></div>`, reasonCode},
		{"url only", "https://example.com/some/long/path/with/many/words/in/it?query=string", reasonTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := score(t, s, tt.in)
			if got := res.Details["language"]; got != Undetermined {
				t.Errorf("language = %v, want und", got)
			}
			if got := res.Details["reason"]; got != tt.reason {
				t.Errorf("reason = %v, want %s", got, tt.reason)
			}
			if res.Value != 0 || res.Details["confidence"] != 0.0 {
				t.Errorf("value = %v, confidence = %v, want 0, 0", res.Value, res.Details["confidence"])
			}
		})
	}

	expect := newTestScorer(t, `{"expected": "en"}`)
	res := score(t, expect, "OK")
	if res.Value != 0 || res.Passed == nil || *res.Passed {
		t.Errorf("und with expected: value = %v, passed = %v, want 0, false", res.Value, res.Passed)
	}
}

func TestIgnoreCode(t *testing.T) {
	t.Parallel()
	prose := "Here is the function you asked for. It prints a greeting and then counts to ten before it stops."
	withCode := prose[:36] + "\n\n```go\nfunc main() {\n\tfor i := 0; i < 10; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n```\n\n" +
		prose[36:] + " Call `main()` or visit https://go.dev/play to try it."
	on := newTestScorer(t, `{}`)
	res := score(t, on, withCode)
	if got := res.Details["language"]; got != "en" {
		t.Errorf("language = %v, want en (details %v)", got, res.Details)
	}
	// The letters left are those of the two prose sentences (Here is the
	// function you asked for: 4+2+3+8+3+5+3 = 28; It prints a greeting and then
	// counts to ten before it stops: 2+6+1+8+3+4+6+2+3+6+2+5 = 48) and of "Call
	// or visit to try it" (4+2+5+2+3+2 = 18).
	if got := res.Details["letters"]; got != 28+48+18 {
		t.Errorf("letters = %v, want %d", got, 28+48+18)
	}
	off := newTestScorer(t, `{"ignore_code": false}`)
	res = score(t, off, "```go\nfunc main() {\n\tfmt.Println(\"hello, world\")\n}\n```\n")
	if got := res.Details["reason"]; got == reasonTooShort || got == reasonCode {
		t.Errorf("ignore_code false: reason = %v, want the code to be read as text", got)
	}
}

func TestStripCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Just words.", "Just words."},
		{"backtick fence", "a\n```go\nx := 1\n```\nb", "a\n\n\n\nb"},
		{"tilde fence", "a\n~~~\nx\n~~~\nb", "a\n\n\n\nb"},
		{"longer closing fence", "a\n```\nx\n`````\nb", "a\n\n\n\nb"},
		{"shorter fence does not close", "a\n````\nx\n```\ny\n````\nb", "a\n\n\n\n\n\nb"},
		{"other character does not close", "a\n```\nx\n~~~\ny\n```\nb", "a\n\n\n\n\n\nb"},
		{"unclosed fence runs to the end", "a\n```\nx\ny", "a\n\n\n\n"},
		{"indented three spaces", "a\n   ```\nx\n   ```\nb", "a\n\n\n\nb"},
		{"indented four spaces is not a fence", "a\n    ```\nb", "a\n    ```\nb"},
		{"two backticks are not a fence", "a ``b`` c", "a   c"},
		{"inline code", "call `f(x)` now", "call   now"},
		{"double backtick span", "use ``a ` b`` here", "use   here"},
		{"unmatched backtick stays", "it`s fine", "it`s fine"},
		{"url", "see https://example.com/a?b=c for more", "see   for more"},
		{"www", "visit www.example.org today", "visit   today"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := stripCode(tt.in); got != tt.want {
				t.Errorf("stripCode = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMinConfidence: whatlanggo v1.0.1 (an oracle run of whatlanggo.Detect)
// gives this Russian sentence confidence 0.158, below 0.5.
func TestMinConfidence(t *testing.T) {
	t.Parallel()
	ru := sentences[7]
	if info := whatlanggo.Detect(ru.text); info.Lang != whatlanggo.Rus || info.Confidence >= 0.5 {
		t.Fatalf("whatlanggo.Detect = %v %v, want rus below 0.5", info.Lang.Iso6393(), info.Confidence)
	}
	s := newTestScorer(t, `{"min_confidence": 0.5}`)
	res := score(t, s, ru.text)
	if res.Details["language"] != Undetermined || res.Details["reason"] != reasonLowConfidence || res.Details["guess"] != "ru" {
		t.Errorf("details = %v, want und, low_confidence, guess ru", res.Details)
	}
	if g, _ := res.Details["guess_confidence"].(float64); g <= 0 || g >= 0.5 {
		t.Errorf("guess_confidence = %v, want in (0, 0.5)", g)
	}
	if res := score(t, newTestScorer(t, `{"min_confidence": 0.1}`), ru.text); res.Details["language"] != "ru" {
		t.Errorf("min_confidence 0.1: language = %v, want ru", res.Details["language"])
	}
}

// TestDetectorGivesUp: an oracle run of whatlanggo v1.0.1 gives Lang -1 for
// the first text (no trigram of any profile) and epo with confidence 0 for the
// second (one language matched, score below 500).
func TestDetectorGivesUp(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"min_letters": 1}`)
	tests := []struct {
		name, in, reason, guess string
	}{
		{"no language", "qqqq zzzz xxxx wwww", reasonNoLanguage, ""},
		{"zero confidence", "jjjjjjj kkkkkkk", reasonAmbiguous, "eo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := score(t, s, tt.in)
			if res.Details["language"] != Undetermined || res.Details["reason"] != tt.reason || res.Value != 0 {
				t.Errorf("details = %v, value = %v; want und, %s, 0", res.Details, res.Value, tt.reason)
			}
			if g, _ := res.Details["guess"].(string); g != tt.guess {
				t.Errorf("guess = %q, want %q", g, tt.guess)
			}
		})
	}
}

func TestMinLetters(t *testing.T) {
	t.Parallel()
	// "Good morning everyone" has 19 letters.
	text := "Good morning everyone"
	if res := score(t, newTestScorer(t, `{}`), text); res.Details["reason"] != reasonTooShort {
		t.Errorf("default: reason = %v, want too_short", res.Details["reason"])
	}
	res := score(t, newTestScorer(t, `{"min_letters": 19}`), text)
	if res.Details["reason"] != nil || res.Details["letters"] != 19 {
		t.Errorf("min_letters 19: details = %v, want a detection of 19 letters", res.Details)
	}
}

// TestKanaCorrection: whatlanggo v1.0.1 says Mandarin for these kanji-heavy
// Japanese texts (an oracle run of whatlanggo.Detect), because its script
// count can miss the kana; they contain の, に, す, る and are Japanese.
func TestKanaCorrection(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	for _, text := range []string{
		"日本国憲法第九条の解釈変更に関する政府見解と国会審議",
		"東京都知事選挙投票率前回選挙比較分析結果報告書の概要",
	} {
		if got := whatlanggo.Detect(text).Lang; got != whatlanggo.Cmn {
			t.Fatalf("whatlanggo.Detect(%q) = %s, want cmn (the case corrected)", text, got.Iso6393())
		}
		if got := score(t, s, text).Details["language"]; got != "ja" {
			t.Errorf("%q: language = %v, want ja", text, got)
		}
	}
}

// TestCodes checks the code table against whatlanggo's own Iso6391. The
// deviations are the ones code documents; the whole table was also checked
// against Debian iso-codes 4.15.0 (iso_639-3.json alpha_2, with SIL's
// macrolanguage mapping for arb, azj, cmn, pes and ydd): 84 of 84 agree.
func TestCodes(t *testing.T) {
	t.Parallel()
	deviations := map[whatlanggo.Lang]string{
		whatlanggo.Bho: "bho", whatlanggo.Pes: "fa", whatlanggo.Ydd: "yi",
		whatlanggo.Ceb: "ceb", whatlanggo.Ilo: "ilo", whatlanggo.Mai: "mai", whatlanggo.Skr: "skr",
	}
	langs := languages()
	if len(langs) != 84 {
		t.Errorf("len(languages) = %d, want 84 (whatlanggo's SUPPORTED_LANGUAGES.md)", len(langs))
	}
	seen := map[string]whatlanggo.Lang{}
	for _, l := range langs {
		want, ok := deviations[l]
		if !ok {
			want = l.Iso6391()
		}
		got := code(l)
		if got != want {
			t.Errorf("code(%s) = %q, want %q", l.Iso6393(), got, want)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("code %q for both %s and %s", got, prev.Iso6393(), l.Iso6393())
		}
		seen[got] = l
	}
	if got := code(whatlanggo.Lang(-1)); got != "" {
		t.Errorf("code(-1) = %q, want empty", got)
	}
}

func TestParamsValidation(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Language())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, params, field string
	}{
		{"unknown field", `{"language": "en"}`, "params"},
		{"unsupported expected", `{"expected": "xx"}`, "params.expected"},
		{"three letters with a two-letter code", `{"expected": "eng"}`, "params.expected"},
		{"upper case", `{"expected": "EN"}`, "params.expected"},
		{"und is not a language", `{"expected": "und"}`, "params.expected"},
		{"bad allow", `{"allow": ["en", "qq"]}`, "params.allow[1]"},
		{"confidence above 1", `{"min_confidence": 1.5}`, "params.min_confidence"},
		{"min_letters zero", `{"min_letters": 0}`, "params.min_letters"},
		{"min_letters fraction", `{"min_letters": 2.5}`, "params.min_letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := reg.Build([]domain.ScorerConfig{{Type: "language", Params: json.RawMessage(tt.params)}})
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			var fields []string
			for _, f := range domain.Fields(err) {
				fields = append(fields, strings.TrimPrefix(f.Field, "[0]."))
			}
			if !slices.Contains(fields, tt.field) {
				t.Errorf("error fields = %q, want %q among them (%v)", fields, tt.field, err)
			}
		})
	}
	for _, ok := range []string{`{}`, `{"expected": "ceb"}`, `{"expected": "zh", "allow": ["ja"], "min_confidence": 0.2, "min_letters": 5, "ignore_code": false}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "language", Params: json.RawMessage(ok)}}); err != nil {
			t.Errorf("Build(%s): %v", ok, err)
		}
	}
}

func TestLongInput(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	text := strings.Repeat(sentences[0].text+" ", 12000) // about 1.1 MB
	res := score(t, s, text)
	if res.Details["language"] != "en" || res.Details["truncated"] != true {
		t.Errorf("details = %v, want en, truncated", res.Details)
	}
	// Truncation keeps whole runes: 32 KiB of three-byte Han characters.
	han := strings.Repeat("我们明天早上要去图书馆", 4000)
	res = score(t, s, han)
	if res.Details["language"] != "zh" || res.Details["truncated"] != true {
		t.Errorf("details = %v, want zh, truncated", res.Details)
	}
	if got, want := res.Details["letters"], (maxDetectBytes/3)*1; got != want {
		t.Errorf("letters = %v, want %d (32768 bytes / 3 bytes per character, rounded down)", got, want)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Score(ctx, scoring.Item{Response: "hello"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDetailsMarshal(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"expected": "fr"}`)
	for _, text := range []string{sentences[2].text, "", sentences[0].text} {
		if _, err := json.Marshal(score(t, s, text)); err != nil {
			t.Errorf("marshal: %v", err)
		}
	}
}

func FuzzLanguage(f *testing.F) {
	for _, tt := range sentences {
		f.Add(tt.text)
	}
	for _, seed := range []string{"", "```\n", "`", "``a`", "https://", "\xff\xfe\xfd", "日本の", "~~~~\n~~~"} {
		f.Add(seed)
	}
	s := newTestScorer(f, `{"allow": ["en", "ja"]}`)
	plain := newTestScorer(f, `{"min_letters": 1}`)
	supported := map[string]bool{Undetermined: true}
	for _, l := range languages() {
		supported[code(l)] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		res := score(t, plain, text)
		c, _ := res.Details["confidence"].(float64)
		if math.IsNaN(res.Value) || res.Value < 0 || res.Value > 1 || res.Value != c {
			t.Fatalf("value = %v, confidence = %v", res.Value, c)
		}
		lang, _ := res.Details["language"].(string)
		if !supported[lang] {
			t.Fatalf("language = %q, not a supported code", lang)
		}
		if lang == Undetermined && c != 0 {
			t.Fatalf("und with confidence %v", c)
		}
		res = score(t, s, text)
		if res.Passed == nil || (res.Value == 1) != *res.Passed || (res.Value != 0 && res.Value != 1) {
			t.Fatalf("with allow: value = %v, passed = %v", res.Value, res.Passed)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}

// response2KB is a typical English answer of about 2 KB.
var response2KB = strings.Repeat("To compare the two models, we measured accuracy on the held-out set, "+
	"checked the confidence intervals and reviewed a sample of the answers by hand. ", 14)

func BenchmarkLanguage2KB(b *testing.B) {
	s := newTestScorer(b, `{}`)
	it := scoring.Item{Response: response2KB}
	b.SetBytes(int64(len(response2KB)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Score(context.Background(), it); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
