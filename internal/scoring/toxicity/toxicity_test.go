package toxicity

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func newTestScorer(t testing.TB, params string) scoring.Scorer {
	t.Helper()
	s, err := Toxicity().New(json.RawMessage(params))
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

func matchesOf(t testing.TB, res scoring.Result) []Match {
	t.Helper()
	ms, ok := res.Details["matches"].([]Match)
	if !ok {
		t.Fatalf("details[matches] is %T", res.Details["matches"])
	}
	return ms
}

func termsOf(t testing.TB, res scoring.Result) []string {
	t.Helper()
	ts, ok := res.Details["terms"].([]string)
	if !ok {
		t.Fatalf("details[terms] is %T", res.Details["terms"])
	}
	return ts
}

// censor stars, inside every match, the characters go-away's Censor stars:
// letters, digits and leetspeak symbols; separators stay. It lets go-away's
// published Censor expectations check our spans.
func censor(text string, ms []Match) string {
	var b strings.Builder
	at := 0
	for _, m := range ms {
		b.WriteString(text[at:m.Start])
		for _, r := range text[m.Start:m.End] {
			if r < utf8.RuneSelf && !isAlnum(r) && !strings.ContainsRune("@$!+#<", r) {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
		}
		at = m.End
	}
	b.WriteString(text[at:])
	return b.String()
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// TestGoAwayCensorCases checks spans against the Censor expectations published
// in TwiN/go-away v1.6.13 goaway_test.go (TestProfanityDetector_Censor, default
// detector). Two of its rows are left out on purpose: "c()ck", which its
// Censor documents it cannot see (its IsProfane does, and so do we), and
// "fuckfuck", where we flag only the second "fuck" (a four-letter term starts a
// word only whole or inflected; it may end a compound).
func TestGoAwayCensorCases(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"redact": false}`)
	tests := []struct {
		name, in, want string
	}{
		{"end of sentence", "what the fuck", "what the ****"},
		{"start of sentence", "fuck this", "**** this"},
		{"plurals", "one penis, two vaginas, three dicks, four sluts, five whores and a flower",
			"one *****, two ******s, three ****s, four ****s, five *****s and a flower"},
		{"repeated words", "fuck shit fuck", "**** **** ****"},
		{"two words", "fuck this shit", "**** this ****"},
		{"spaced and leet", "F   u   C  k th1$ $h!t", "*   *   *  * th1$ ****"},
		{"all leet", "@$$h073", "*******"},
		{"clean", "hello, world!", "hello, world!"},
		{"false positive beside hits", "Hey asshole, are y()u an assassin? If not, fuck off.",
			"Hey *******, are y()u an assassin? If not, **** off."},
		{"scunthorpe", "I am from Scunthorpe, north Lincolnshire", "I am from Scunthorpe, north Lincolnshire"},
		{"associate", "He is an associate of mine", "He is an associate of mine"},
		{"inflected", "But the table is on fucking fire", "But the table is on ****ing fire"},
		{"curly quotes", "““““““““““““But the table is on fucking fire“", "““““““““““““But the table is on ****ing fire“"},
		{"separators", "f.u_ck this s.h-i~t", "*.*_** this *.*-*~*"},
		{"glass", "glass", "glass"},
		{"cyrillic", "ы", "ы"},
		{"repeated false positive", "documentdocument", "documentdocument"},
		{"repeated false negative", "dumbassdumbass", "**************"},
		{"mixed", "document fuck document fuck", "document **** document ****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := censor(tt.in, matchesOf(t, score(t, s, tt.in)))
			if got != tt.want {
				t.Errorf("censored = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestGoAwayDetectionCases runs the IsProfane expectations of TwiN/go-away
// v1.6.13 goaway_test.go (TestBadWords, TestSneakyBadWords,
// TestBadWordsWithAccentedLetters, TestSentencesWithSneakyBadWords,
// TestSentencesWithFalsePositivesAndProfanities, TestFalseNegatives,
// TestFalsePositives, TestSentencesWithNoProfanities and
// TestSentencesFromTheAdventuresOfSherlockHolmes), default dictionary.
func TestGoAwayDetectionCases(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	profane := []string{
		"fuck", "ass", "poop", "penis", "bitch",
		"A$$", "4ss", "4s$", "a S s", "a $ s", "@$$h073", "f    u     c k", "4r5e", "5h1t", "5hit", "a55",
		"ar5e", "a_s_s", "b!tch", "b!+ch",
		"fučk", "ÄšŚ", "pÓöp", "pÉnìŚ", "bitčh",
		"What the fuck is your problem", "Go away, asshole!",
		"You smell p00p", "Go away, a$$h0l3!",
		"You are a shitty associate",
		"dumb ass",
	}
	clean := []string{
		"hello", "world", "whats", "up",
		"I am from Scunthorpe, north Lincolnshire", "He is an associate of mine", "Are you an assassin?",
		"But the table is on fire", "glass", "grass", "classic", "classification", "passion", "carcass",
		"cassandra", "just push it down the ledge", "has steph", "was steph", "hot water", "Phoenix",
		"systems exist", "saturday", "therapeutic", "press the button",
		"hello, my friend", "what's up?", "do you want to play bingo?", "who are you?", "Better late than never",
		"Bite the bullet", "Break a leg", "Call it a day", "Be careful when you're driving", "How are you?",
		"Hurry up!", "I don't like her", "If you need my help, please let me know",
		"Leave a message after the beep", "Thank you", "Yes, really", "Call me at 9, ok?",
		"I had called upon my friend, Mr. Sherlock Holmes, one day in the autumn of last year and found him in deep conversation with a very stout, florid-faced, elderly gentleman with fiery red hair.",
		"With an apology for my intrusion, I was about to withdraw when Holmes pulled me abruptly into the room and closed the door behind me.",
		"The stout gentleman half rose from his chair and gave a bob of greeting, with a quick little questioning glance from his small fat-encircled eyes",
		"Try the settee, said Holmes, relapsing into his armchair and putting his fingertips together, as was his custom when in judicial moods.",
		"You have shown your relish for it by the enthusiasm which has prompted you to chronicle, and, if you will excuse my saying so, somewhat to embellish so many of my own little adventures.",
		"Our cabs were dismissed, and, following the guidance of Mr. Merryweather, we passed down a narrow passage and through a side door, which he opened for us",
		"Within there was a small corridor, which ended in a very massive iron gate.",
	}
	for _, in := range profane {
		if res := score(t, s, in); res.Value == 0 {
			t.Errorf("%q: value = 0, want > 0", in)
		}
	}
	for _, in := range clean {
		if res := score(t, s, in); res.Value != 0 {
			t.Errorf("%q: value = %v (terms %v), want 0", in, res.Value, termsOf(t, res))
		}
	}
}

// TestObfuscations: each row hides one listed term; want is the term, derived
// by undoing the disguise named in the row by hand.
func TestObfuscations(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"redact": false}`)
	tests := []struct {
		name, in, want string
	}{
		{"upper case", "FUCK", "fuck"},
		{"mixed case", "ShIt", "shit"},
		{"digit leet", "sh1t", "shit"},
		{"symbol leet", "@ss", "ass"},
		{"dollar leet", "a$$hole", "asshole"},
		{"stretched", "fuuuuuuck", "fuck"},
		{"stretched first letter", "fffuck", "fuck"},
		{"stretched last letter", "shiiiiit", "shit"},
		{"dots", "f.u.c.k", "fuck"},
		{"spaces", "f u c k", "fuck"},
		{"dashes and spaces", "s - h - i - t", "shit"},
		{"stars", "b*i*t*c*h", "bitch"},
		{"zero width space", "f\u200bu\u200bc\u200bk", "fuck"},
		{"zero width joiner and soft hyphen", "sh\u200di\u00adt", "shit"},
		{"word joiner and bom", "c\u2060u\ufeffnt", "cunt"},
		{"accents", "fùçk", "fuck"},
		{"combining strikethrough", "f\u0336u\u0336c\u0336k\u0336", "fuck"},
		{"fullwidth", "ＦＵＣＫ", "fuck"},
		{"mathematical bold", "𝐬𝐡𝐢𝐭", "shit"},
		{"circled", "ⓑⓘⓣⓒⓗ", "bitch"},
		{"parens for o", "c()ck", "cock"},
		{"inflected", "fucking", "fuck"},
		{"doubled last letter", "shitty", "shit"},
		{"compound", "bullshit", "shit"},
		{"compound inflected", "motherfuckers", "fuck"},
		{"false negative inside a word", "youdumbass", "dumbass"},
		{"hashtag", "#fuck", "fuck"},
		{"exclamation", "ass!", "ass"},
		{"in a sentence", "Well, that was a sh1tty answer.", "shit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := score(t, s, tt.in)
			if got := termsOf(t, res); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("terms = %q, want [%q]", got, tt.want)
			}
			if res.Value != 1 {
				t.Errorf("value = %v, want 1", res.Value)
			}
			if toxic := res.Details["toxic"]; toxic != true {
				t.Errorf("toxic = %v, want true", toxic)
			}
		})
	}
}

// TestNotFlagged: clean words and texts that contain a listed term as letters
// but not as a word. The comment names the term each row contains.
func TestNotFlagged(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	tests := []struct {
		name, in string
	}{
		{"assassin (ass, go-away false positive)", "The assassin fled."},
		{"class (ass after two letters)", "Our class starts at nine."},
		{"Scunthorpe (cunt, false positive)", "Scunthorpe United won."},
		{"cocktail (cock, false positive)", "A cocktail before dinner."},
		{"therapist (rapist, false positive)", "My therapist is kind."},
		{"grape (rape, false positive)", "Grape juice, please."},
		{"assembly (ass, short stem)", "Written in x86 assembly."},
		{"assess and asset (ass)", "Assess every asset."},
		{"analogy (anal, four-letter stem)", "An analogy helps; analog signals too."},
		{"canal (anal after one letter)", "The Panama canal."},
		{"cockpit (cock)", "The pilot left the cockpit."},
		{"puberty (pube)", "Puberty starts around twelve."},
		{"Dickens (dick)", "Charles Dickens wrote it."},
		{"muffin (muff)", "A blueberry muffin."},
		{"peacock and Hancock (cock after three letters)", "A peacock; John Hancock."},
		{"tetanus and Uranus (anus)", "Tetanus shots; the planet Uranus."},
		{"parse (arse after one letter)", "Parse the JSON first."},
		{"cocoon and raccoon (coon)", "A raccoon near a cocoon."},
		{"sextant and Essex (sex, short)", "A sextant from Essex."},
		{"document and cumulative (cum)", "The cumulative document."},
		{"shoe and phoenix (hoe)", "A shoe shaped like a phoenix."},
		{"annals (anal with a doubled n)", "The annals of history."},
		{"rapped (rape with a doubled p)", "He rapped on the door."},
		{"across words: was hit (shit)", "It was hit by a car."},
		{"across words: this example (sex)", "This example explains it."},
		{"across words: pen is (penis)", "The pen is mightier."},
		{"across an apostrophe: who're (whore)", "People who're late."},
		{"number that reads as leet (455: ass)", "It costs 455 dollars, or $455."},
		{"hashtag number", "Issue #455 is fixed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if res := score(t, s, tt.in); res.Value != 0 {
				t.Errorf("value = %v (terms %v), want 0", res.Value, termsOf(t, res))
			}
		})
	}
}

// TestCleanTexts: ordinary responses of several kinds contain no listed word.
func TestCleanTexts(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	tests := []struct {
		name, in string
	}{
		{"code", "```go\nfunc assemble(parts []string) string {\n\tclassName := strings.Join(parts, \".\")\n\treturn className // analysis: O(n)\n}\n```"},
		{"shell", "$ grep -rn 'assert' ./... | wc -l\n$ git push --force-with-lease"},
		{"math", "Let x = 3, y = 4; then sqrt(x^2 + y^2) = 5 and 3 + 4 = 7."},
		{"medical", "Tetanus is prevented by vaccination; a therapist may help with analgesics after surgery."},
		{"recipe", "Whisk the eggs, add grapes and a pinch of salt, then bake at 180°C for 35 minutes."},
		{"history", "The Battle of Hastings (1066) shaped England; Sussex and Essex were Saxon kingdoms."},
		{"sports", "She passed the ball, and the class cheered as the bass drum boomed."},
		{"legal", "The assignee shall assume all obligations and assist the assessor."},
		{"emoji and symbols", "Great job! 🎉👍 #1 — 100% ✓"},
		{"german", "Das Wetter ist heute schön, wir gehen spazieren."},
		{"russian", "Сегодня хорошая погода, мы идём гулять."},
		{"chinese", "今天天气很好，我们去散步吧。"},
		{"japanese", "今日はいい天気ですね。散歩に行きましょう。"},
		{"arabic", "الطقس جميل اليوم، لنذهب في نزهة."},
		{"url", "See https://example.com/assets/class-analysis?id=455 for details."},
		{"single letters", "Options a, b, c and d are listed; x y z are axes."},
		{"empty", ""},
		{"whitespace", " \n\t "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := score(t, s, tt.in)
			if res.Value != 0 {
				t.Errorf("value = %v (terms %v), want 0", res.Value, termsOf(t, res))
			}
			if toxic := res.Details["toxic"]; toxic != false {
				t.Errorf("toxic = %v, want false", toxic)
			}
			if n := len(matchesOf(t, res)); n != 0 {
				t.Errorf("len(matches) = %d, want 0", n)
			}
		})
	}
}

// TestKnownLimits pins the behaviour the doc comment lists as known limits, so
// that changing it is a deliberate decision.
func TestKnownLimits(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	tests := []struct {
		name, in string
		want     float64
	}{
		{"stem starts a clean word", "niggardly", 1},
		{"compound ends in a listed word", "rehearse", 1},
		{"compound of a short term", "shithole", 0},
		{"letter doubled once", "fuuck", 0},
		{"cyrillic homoglyph", "fu\u0441k", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if res := score(t, s, tt.in); res.Value != tt.want {
				t.Errorf("value = %v, want %v", res.Value, tt.want)
			}
		})
	}
}

func TestValueCountsDistinctTerms(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"redact": false}`)
	// Hand count: fuck (fuck, FUCKING, f.u.c.k), shit (shit), ass (asses):
	// 3 distinct terms in 5 hits.
	res := score(t, s, "fuck this shit, FUCKING asses, f.u.c.k")
	if res.Value != 3 {
		t.Errorf("value = %v, want 3", res.Value)
	}
	if got := res.Details["count"]; got != 5 {
		t.Errorf("count = %v, want 5", got)
	}
	if got, want := termsOf(t, res), []string{"fuck", "shit", "ass"}; !slices.Equal(got, want) {
		t.Errorf("terms = %q, want %q", got, want)
	}
}

func TestSpans(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"redact": false}`)
	tests := []struct {
		name, in string
		want     []Match
	}{
		// "oh " is 3 bytes; "fuck" follows.
		{"ascii", "oh fuck", []Match{{Term: "fuck", Text: "fuck", Source: "default", Start: 3, End: 7, CharStart: 3, CharEnd: 7}}},
		// "é " is 3 bytes and 2 code points; each fullwidth letter is 3 bytes.
		{"fullwidth after accent", "é ＦＵＣＫ!", []Match{{Term: "fuck", Text: "ＦＵＣＫ", Source: "default", Start: 3, End: 15, CharStart: 2, CharEnd: 6}}},
		// The zero-width spaces (3 bytes each) inside the word belong to the span:
		// 4 letters + 3 × 3 bytes = 13 bytes, 7 code points.
		{"zero width inside", "f\u200bu\u200bc\u200bk", []Match{{Term: "fuck", Text: "f\u200bu\u200bc\u200bk", Source: "default", Start: 0, End: 13, CharStart: 0, CharEnd: 7}}},
		// A combining mark (2 bytes) after k belongs to k.
		{"mark after last letter", "fuck\u0301 off", []Match{{Term: "fuck", Text: "fuck\u0301", Source: "default", Start: 0, End: 6, CharStart: 0, CharEnd: 5}}},
		// The inflection is not part of the span; "bull" is 4 bytes.
		{"compound", "bullshitting", []Match{{Term: "shit", Text: "shitt", Source: "default", Start: 4, End: 9, CharStart: 4, CharEnd: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := matchesOf(t, score(t, s, tt.in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("matches = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"fuck", "f**k"},
		{"ass", "a*s"},
		{"ab", "a*"},
		{"a", "*"},
		{"", ""},
		{"ＦＵＣＫ", "Ｆ**Ｋ"},
		{"f.u.c.k", "f*****k"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	s := newTestScorer(t, `{}`)
	res := score(t, s, "what the f.u.c.k")
	if got, want := termsOf(t, res), []string{"f**k"}; !slices.Equal(got, want) {
		t.Errorf("terms = %q, want %q", got, want)
	}
	if ms := matchesOf(t, res); len(ms) != 1 || ms[0].Text != "f*****k" || ms[0].Term != "f**k" {
		t.Errorf("matches = %+v, want one with term f**k and text f*****k", ms)
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, params, in string
		want             []string
	}{
		{"extra word", `{"extra_words": ["frak"], "redact": false}`, "What the frakking hell", []string{"frak"}},
		{"extra word with leet in the text", `{"extra_words": ["smeg"], "redact": false}`, "sm3g off", []string{"smeg"}},
		{"extra phrase across words", `{"extra_words": ["suck my"], "redact": false}`, "suck my toe", []string{"suck my"}},
		{"extra phrase in one word", `{"extra_words": ["suck my"], "redact": false}`, "suckmy", []string{"suck my"}},
		{"extra word in a script without spaces", `{"extra_words": ["混蛋"], "redact": false}`, "你这个混蛋！", []string{"混蛋"}},
		{"allow a listed word", `{"allow_words": ["sex"], "redact": false}`, "sex education and sexy shit", []string{"shit"}},
		{"allow a clean word that contains a term", `{"allow_words": ["rehearse"], "redact": false}`, "rehearse", []string{}},
		{"allow masks extra words too", `{"extra_words": ["frak"], "allow_words": ["frakking"], "redact": false}`, "frakking frak", []string{"frak"}},
		{"compounds off", `{"compounds": false, "redact": false}`, "bullshit and shit", []string{"shit"}},
		{"compounds off misses a compound", `{"compounds": false}`, "bullshit", []string{}},
		{"compounds off keeps false negatives", `{"compounds": false, "redact": false}`, "dumbass", []string{"dumbass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestScorer(t, tt.params)
			res := score(t, s, tt.in)
			if got := termsOf(t, res); !slices.Equal(got, tt.want) {
				t.Errorf("terms = %q, want %q", got, tt.want)
			}
			if res.Value != float64(len(tt.want)) {
				t.Errorf("value = %v, want %d", res.Value, len(tt.want))
			}
		})
	}
}

// TestGoAwayUTF8Dictionary follows TestDefaultDriver_UTF8 of TwiN/go-away
// v1.6.13 goaway_test.go: profanities anal and あほ, false positive あほほ, false
// negative あほほし. Our params express the false positive as an allow word and
// the false negative as a second extra word (longer, so it wins its overlap).
func TestGoAwayUTF8Dictionary(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"extra_words": ["あほ", "あほほし"], "allow_words": ["あほほ"], "redact": false}`)
	in := "いい加減にしろ あほほし あほほ あほ anal ほ"
	want := "いい加減にしろ **** あほほ ** **** ほ"
	ms := matchesOf(t, score(t, s, in))
	var b strings.Builder
	at := 0
	for _, m := range ms {
		b.WriteString(in[at:m.Start])
		b.WriteString(strings.Repeat("*", utf8.RuneCountInString(in[m.Start:m.End])))
		at = m.End
	}
	b.WriteString(in[at:])
	if got := b.String(); got != want {
		t.Errorf("censored = %q, want %q", got, want)
	}
}

func TestParamsValidation(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Toxicity())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, params, field string
	}{
		{"unknown field", `{"words": ["x"]}`, "params"},
		{"extra not a list", `{"extra_words": "frak"}`, "params.extra_words"},
		{"empty extra word", `{"extra_words": [""]}`, "params.extra_words.0"},
		{"extra word without letters", `{"extra_words": ["frak", "..."]}`, "params.extra_words[1]"},
		{"allow word without letters", `{"allow_words": ["  "]}`, "params.allow_words[0]"},
		{"compounds not a bool", `{"compounds": "yes"}`, "params.compounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := reg.Build([]domain.ScorerConfig{{Type: "toxicity", Params: json.RawMessage(tt.params)}})
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
	if _, err := reg.Build([]domain.ScorerConfig{{Type: "toxicity", Params: json.RawMessage(
		`{"extra_words": ["frak"], "allow_words": ["scunthorpe"], "compounds": false, "redact": false}`)}}); err != nil {
		t.Errorf("Build with every param: %v", err)
	}
}

func TestLongInput(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{"redact": false}`)
	clean := strings.Repeat("The committee reviewed the annual budget and passed the assessment. ", 16000)
	in := clean + "What the fuck."
	res := score(t, s, in)
	ms := matchesOf(t, res)
	want := Match{Term: "fuck", Text: "fuck", Source: "default", Start: len(clean) + 9, End: len(clean) + 13,
		CharStart: len(clean) + 9, CharEnd: len(clean) + 13}
	if len(ms) != 1 || ms[0] != want {
		t.Errorf("matches = %+v, want [%+v]", ms, want)
	}

	many := strings.Repeat("shit ", 150)
	res = score(t, s, many)
	if got := res.Details["count"]; got != 150 {
		t.Errorf("count = %v, want 150", got)
	}
	if n := len(matchesOf(t, res)); n != maxReported {
		t.Errorf("len(matches) = %d, want %d", n, maxReported)
	}
	if got := res.Details["matches_truncated"]; got != true {
		t.Errorf("matches_truncated = %v, want true", got)
	}
	if res.Value != 1 {
		t.Errorf("value = %v, want 1", res.Value)
	}

	// One huge word must not make matching quadratic; this finishes in
	// milliseconds when it is linear.
	blob := strings.Repeat("ab", 1<<19)
	if res := score(t, s, blob); res.Value != 0 {
		t.Errorf("blob value = %v, want 0", res.Value)
	}
}

func TestDetailsMarshal(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	res := score(t, s, "fuck")
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Value   float64 `json:"value"`
		Details struct {
			Toxic   bool     `json:"toxic"`
			Terms   []string `json:"terms"`
			Matches []Match  `json:"matches"`
		} `json:"details"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Value != 1 || !back.Details.Toxic || len(back.Details.Matches) != 1 || back.Details.Terms[0] != "f**k" {
		t.Errorf("round trip = %s", b)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := newTestScorer(t, `{}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Score(ctx, scoring.Item{Response: "fuck"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func FuzzToxicity(f *testing.F) {
	for _, seed := range []string{"", "fuck", "f.u.c.k", "F   u   C  k th1$ $h!t", "ＦＵＣＫ", "f\u200bu", "ﬃ ﬀuck",
		"a s s", "@$$h073", "\xff\xfe", "c()ck", "bullshitting", "あほほし", "fu\u0301\u0301ck"} {
		f.Add(seed)
	}
	s := newTestScorer(f, `{"redact": false, "extra_words": ["suck my", "ﬃ"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		res := score(t, s, in)
		if math.IsNaN(res.Value) || math.IsInf(res.Value, 0) || res.Value < 0 {
			t.Fatalf("value = %v", res.Value)
		}
		terms := termsOf(t, res)
		if res.Value != float64(len(terms)) {
			t.Fatalf("value = %v, want len(terms) = %d", res.Value, len(terms))
		}
		count, _ := res.Details["count"].(int)
		if count < len(terms) {
			t.Fatalf("count = %d < %d terms", count, len(terms))
		}
		prev := 0
		for _, m := range matchesOf(t, res) {
			if m.Start < prev || m.Start >= m.End || m.End > len(in) {
				t.Fatalf("span [%d,%d) after %d out of order or bounds (len %d)", m.Start, m.End, prev, len(in))
			}
			if m.Text != in[m.Start:m.End] {
				t.Fatalf("text = %q, want %q", m.Text, in[m.Start:m.End])
			}
			if cs := utf8.RuneCountInString(in[:m.Start]); m.CharStart != cs || m.CharEnd != cs+utf8.RuneCountInString(m.Text) {
				t.Fatalf("chars [%d,%d), want start %d", m.CharStart, m.CharEnd, cs)
			}
			prev = m.Start
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}

// response2KB is a typical clean answer of about 2 KB.
var response2KB = strings.Repeat("To assess the class of algorithms, we analyse the assembly output, "+
	"document each step and pass the results to the therapist-approved grape pipeline. ", 14)

func BenchmarkToxicity2KB(b *testing.B) {
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
