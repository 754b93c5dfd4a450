package pii

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/scoringtest"
)

// Fixtures. None of the secrets is real: keys and tokens are made up to fit each
// format, and the private key body is filler.
const (
	// RFC 7519 section 3.1 (an HS256 JWS) and section 6.1 (an unsecured JWT, alg none).
	jwtRFC      = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	jwtUnsecure = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	// Header {"typ":"JWT"}: no alg.
	jwtNoAlg = "eyJ0eXAiOiJKV1QifQ.eyJpc3MiOiJqb2UifQ.c2lnbmF0dXJlc2lnbmF0dXJl"

	awsKey   = "AKIA2E3F4G5H6J7K2L3M"
	ghpToken = "ghp_R8f3kP2qLm9XvT4wZ7yB1nC6dH0sJ5gA2eKu"
	// 22 characters, an underscore, 59 characters: 82 after the prefix.
	ghPAT     = "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678"
	openAIKey = "sk-proj-Xy7Qa9Lm2Nb4Vc6Zx8Kj1Hg3Fd5Sa0Pq"
	legacyKey = "sk-Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi6Kl9No2Qr5Tu8"
	antKey    = "sk-ant-api03-Zq8Wx2Ec4Rv6Tb8Yn0Um2Ik4Ol6Pa8Sd0Fg2Hj4Kl6Zx8Cv0Bn2Mq4We6Rt8Yu0Io2Pa4Sd6Fg8Hj0Kl2Zx4Cv6Bn8Mq0We2Rt4Yu6Io8AA"
)

var pemKey = "-----BEGIN RSA PRIVATE KEY-----\n" +
	"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
	"VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n" +
	"-----END RSA PRIVATE KEY-----"

type want struct {
	typ Type
	sub string // the finding's text; its offset is its first occurrence in the input
}

var findCases = []struct {
	name string
	text string
	want []want
}{
	{name: "empty", text: ""},
	{name: "prose", text: "Nothing personal here, just a paragraph about gardening."},

	// E-mail.
	{name: "email", text: "Write to john.doe@example.com today.", want: []want{{Email, "john.doe@example.com"}}},
	{name: "email plus tag and subdomains", text: "a+tag@mail.example.co.uk", want: []want{{Email, "a+tag@mail.example.co.uk"}}},
	{name: "email in mailto and brackets", text: "<mailto:ops@corp.io>", want: []want{{Email, "ops@corp.io"}}},
	{name: "email at sentence end", text: "Reach me at me@site.org.", want: []want{{Email, "me@site.org"}}},
	{name: "git remote is not an email", text: "git clone git@github.com:owner/repo.git"},
	{name: "no top-level domain", text: "ssh user@localhost"},
	{name: "npm version is not an email", text: "npm install lodash@4.17.21"},
	{name: "handle is not an email", text: "follow @openai and @anthropic"},
	{name: "double dot local part", text: "john..doe@example.com"},

	// Phones.
	{name: "E.164", text: "Call +14155552671 now.", want: []want{{Phone, "+14155552671"}}},
	{name: "US brackets", text: "Office: (415) 555-2671.", want: []want{{Phone, "(415) 555-2671"}}},
	{name: "US dashes", text: "Cell 415-555-2671", want: []want{{Phone, "415-555-2671"}}},
	{name: "US toll free", text: "Dial 1-800-555-0199 for help.", want: []want{{Phone, "1-800-555-0199"}}},
	{name: "US international", text: "From abroad: +1 (415) 555-2671.", want: []want{{Phone, "+1 (415) 555-2671"}}},
	{name: "UK international", text: "London office +44 20 7946 0958.", want: []want{{Phone, "+44 20 7946 0958"}}},
	{name: "UK national", text: "Ring 020 7946 0958 or 07700 900123.", want: []want{{Phone, "020 7946 0958"}, {Phone, "07700 900123"}}},
	{name: "UK trunk marker", text: "Tel +44 (0)20 7946 0958", want: []want{{Phone, "+44 (0)20 7946 0958"}}},
	{name: "DE international", text: "Berlin: +49 30 12345678", want: []want{{Phone, "+49 30 12345678"}}},
	{name: "DE national", text: "Tel. 030 12345678 oder 089/1234567", want: []want{{Phone, "030 12345678"}, {Phone, "089/1234567"}}},
	{name: "DE brackets", text: "Mannheim (0621) 123456", want: []want{{Phone, "(0621) 123456"}}},
	{name: "FR international", text: "Paris +33 1 23 45 67 89", want: []want{{Phone, "+33 1 23 45 67 89"}}},
	{name: "FR national", text: "Appelez le 01 23 45 67 89 ou le 06.12.34.56.78.", want: []want{{Phone, "01 23 45 67 89"}, {Phone, "06.12.34.56.78"}}},
	{name: "IN international", text: "WhatsApp +91 98765 43210", want: []want{{Phone, "+91 98765 43210"}}},
	{name: "IN mobile and landline", text: "Mobile 98765 43210, Delhi office 011-2345 6789.", want: []want{{Phone, "98765 43210"}, {Phone, "011-2345 6789"}}},
	{name: "ISO date", text: "Released on 2024-01-15."},
	{name: "European date", text: "Am 15/01/2024 und 15.01.2024."},
	{name: "timestamp", text: "At 2024-01-15T10:30:45Z (unix 1705314645)."},
	{name: "order number", text: "Order #112-4567890-1234567 and ORD-0123-456789 shipped."},
	{name: "ISBN", text: "ISBN 978-3-16-148410-0 and 0-306-40615-2"},
	{name: "US number with invalid area code", text: "Call 123-456-7890 or 411-555-1234."},
	{name: "bare ten digits", text: "Reference 4155552671."},

	// Payment cards: the valid numbers and the invalid 4012-8888-8888-1882 and
	// 36168002586008 are microsoft/presidio's published cases
	// (presidio-analyzer/tests/test_credit_card_recognizer.py).
	{name: "card list", text: "4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881", want: []want{
		{CreditCard, "4012888888881881"}, {CreditCard, "4012-8888-8888-1881"}, {CreditCard, "4012 8888 8888 1881"}}},
	{name: "amex", text: "Amex 371449635398431.", want: []want{{CreditCard, "371449635398431"}}},
	{name: "amex grouped", text: "Amex 3714 496353 98431.", want: []want{{CreditCard, "3714 496353 98431"}}},
	{name: "diners", text: "Diners 30569309025904", want: []want{{CreditCard, "30569309025904"}}},
	{name: "discover", text: "Discover 6011000400000000", want: []want{{CreditCard, "6011000400000000"}}},
	{name: "jcb", text: "JCB 3528000700000000", want: []want{{CreditCard, "3528000700000000"}}},
	{name: "maestro", text: "Maestro 6759649826438453", want: []want{{CreditCard, "6759649826438453"}}},
	{name: "mastercard", text: "MC 5555555555554444", want: []want{{CreditCard, "5555555555554444"}}},
	{name: "visa", text: "Visa 4111111111111111", want: []want{{CreditCard, "4111111111111111"}}},
	{name: "uatp", text: "UATP 122000000000003", want: []want{{CreditCard, "122000000000003"}}},
	{name: "invalid luhn", text: "my credit card number is 4012-8888-8888-1882"},
	{name: "invalid luhn diners", text: "36168002586008"},
	// 7992739871 3 is the textbook Luhn example; 79927398713 has 11 digits and
	// 7-prefixed numbers belong to no card network, so neither is a card.
	{name: "luhn valid but no issuer", text: "7992739871300000"},
	{name: "mixed separators", text: "4111 1111-1111 1111"},
	{name: "decimal number", text: "0.4111111111111111"},
	{name: "card is not a phone", text: "Card: 4111 1111 1111 1111", want: []want{{CreditCard, "4111 1111 1111 1111"}}},

	// SSNs: the area, group and serial rules.
	{name: "ssn", text: "SSN 123-45-6789.", want: []want{{SSN, "123-45-6789"}}},
	{name: "ssn with spaces", text: "SSN 078 05 1120", want: []want{{SSN, "078 05 1120"}}},
	{name: "ssn area 000", text: "000-12-3456"},
	{name: "ssn area 666", text: "666-12-3456"},
	{name: "ssn area 9xx", text: "900-12-3456 and 999-12-3456"},
	{name: "ssn group 00", text: "123-00-4567"},
	{name: "ssn serial 0000", text: "123-45-0000"},
	{name: "ssn mixed separators", text: "123-45 6789"},
	{name: "ssn without separators", text: "123456789"},
	{name: "ssn inside a longer number", text: "1-123-45-6789"},

	// IPv4.
	{name: "ipv4", text: "Server at 192.168.1.10, DNS 8.8.8.8.", want: []want{{IPv4, "192.168.1.10"}, {IPv4, "8.8.8.8"}}},
	{name: "ipv4 with cidr and port", text: "10.0.0.0/8 and 127.0.0.1:8080", want: []want{{IPv4, "10.0.0.0"}, {IPv4, "127.0.0.1"}}},
	{name: "octet above 255", text: "256.1.1.1"},
	{name: "leading zero", text: "192.168.01.1"},
	{name: "three-part version", text: "version 1.2.3"},
	{name: "four-part version is an address", text: "version 1.2.3.4", want: []want{{IPv4, "1.2.3.4"}}},
	{name: "v-prefixed version", text: "v1.2.3.4"},
	{name: "five parts", text: "1.2.3.4.5"},

	// IPv6.
	{name: "ipv6 compressed", text: "Use 2001:db8::1 here.", want: []want{{IPv6, "2001:db8::1"}}},
	{name: "ipv6 full", text: "2001:0db8:85a3:0000:0000:8a2e:0370:7334", want: []want{{IPv6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"}}},
	{name: "ipv6 link-local with zone", text: "fe80::1ff:fe23:4567:890a%eth0", want: []want{{IPv6, "fe80::1ff:fe23:4567:890a"}}},
	{name: "ipv6 mapped ipv4", text: "::ffff:192.0.2.128.", want: []want{{IPv6, "::ffff:192.0.2.128"}}},
	{name: "ipv6 in brackets with port", text: "http://[2001:db8::42]:8080/", want: []want{{IPv6, "2001:db8::42"}}},
	{name: "time", text: "at 12:34:56"},
	{name: "mac address", text: "00:1A:2B:3C:4D:5E"},
	{name: "c++ scope", text: "std::vector<int> and Foo::Bar"},
	{name: "python slice", text: "xs[1::2] and s[::-1]"},
	{name: "loopback", text: "::1"},

	// IBANs: microsoft/presidio's published cases
	// (presidio-analyzer/tests/test_iban_recognizer.py).
	{name: "iban compact", text: "IBAN: DE89370400440532013000.", want: []want{{IBAN, "DE89370400440532013000"}}},
	{name: "iban printed", text: "Pay to GB29 NWBK 6016 1331 9268 19 please", want: []want{{IBAN, "GB29 NWBK 6016 1331 9268 19"}}},
	{name: "iban with letters in the bban", text: "FR14 2004 1010 0505 0001 3M02 606", want: []want{{IBAN, "FR14 2004 1010 0505 0001 3M02 606"}}},
	{name: "iban malta", text: "MT84MALT011000012345MTLCAST001S", want: []want{{IBAN, "MT84MALT011000012345MTLCAST001S"}}},
	{name: "two ibans in a row", text: "DE89 3704 0044 0532 0130 00 GB29 NWBK 6016 1331 9268 19", want: []want{
		{IBAN, "DE89 3704 0044 0532 0130 00"}, {IBAN, "GB29 NWBK 6016 1331 9268 19"}}},
	{name: "iban bad checksum", text: "DE89 3704 0044 0532 0130 01"},
	{name: "iban bad checksum gb", text: "GB29 NWBK 6016 1331 9268 10"},
	{name: "iban too short", text: "BE6853900754703"},
	{name: "iban unknown country", text: "US64SVBKUS6S3300958879"},
	{name: "iban lower case", text: "de89370400440532013000"},

	// Secrets.
	{name: "aws key", text: "aws_access_key_id = " + awsKey, want: []want{{AWSAccessKey, awsKey}}},
	{name: "aws documentation example", text: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"},
	{name: "aws too short", text: "AKIA2E3F4G5H6J7K2L3"},
	{name: "github classic", text: "export GITHUB_TOKEN=" + ghpToken, want: []want{{GitHubToken, ghpToken}}},
	{name: "github fine-grained", text: "token: " + ghPAT, want: []want{{GitHubToken, ghPAT}}},
	{name: "github too long", text: ghpToken + "X"},
	{name: "openai project key", text: "OPENAI_API_KEY=" + openAIKey, want: []want{{APIKey, openAIKey}}},
	{name: "openai legacy key", text: "key " + legacyKey, want: []want{{APIKey, legacyKey}}},
	{name: "anthropic key", text: "ANTHROPIC_API_KEY=\"" + antKey + "\"", want: []want{{APIKey, antKey}}},
	{name: "sk in prose", text: "Keys start with the sk- prefix; install scikit-learn (sk-learn) and risk-adjusted-returns-calculator-v2."},
	{name: "sk placeholder", text: "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or sk-your-api-key-goes-here-replace-me-now"},
	{name: "private key", text: "Here it is:\n" + pemKey + "\nKeep it safe.", want: []want{{PrivateKey, pemKey}}},
	{name: "private key placeholder", text: "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----"},
	{name: "public key", text: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END PUBLIC KEY-----"},
	{name: "truncated private key", text: strings.TrimSuffix(pemKey, "-----END RSA PRIVATE KEY-----") + "\nthen the chat cut off",
		want: []want{{PrivateKey, strings.TrimSuffix(strings.TrimSuffix(pemKey, "-----END RSA PRIVATE KEY-----"), "\n")}}},
	{name: "jwt", text: "Authorization: Bearer " + jwtRFC, want: []want{{JWT, jwtRFC}}},
	{name: "unsecured jwt", text: "token=" + jwtUnsecure + " end", want: []want{{JWT, jwtUnsecure}}},
	{name: "jwt without alg", text: jwtNoAlg},
	{name: "ordinary base64", text: "SGVsbG8gV29ybGQ= and eyJmb28iOiJiYXIifQ and YWJj.ZGVm.Z2hp"},
	{name: "uuid", text: "id 123e4567-e89b-12d3-a456-426614174000"},

	// Several kinds at once, and Unicode around them.
	{name: "mixed with unicode", text: "Kontakt: jürgen@example.de, ☎ +49 30 12345678, IBAN DE89 3704 0044 0532 0130 00 — danke!", want: []want{
		{Phone, "+49 30 12345678"}, {IBAN, "DE89 3704 0044 0532 0130 00"}}},
	{name: "ascii email after unicode", text: "Écrivez à marie@exemple.fr.", want: []want{{Email, "marie@exemple.fr"}}},
}

func TestFind(t *testing.T) {
	t.Parallel()
	f, err := NewFinder(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range findCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := f.Find(tt.text)
			var wantF []Finding
			for _, w := range tt.want {
				i := strings.Index(tt.text, w.sub)
				if i < 0 {
					t.Fatalf("bad test: %q not in text", w.sub)
				}
				wantF = append(wantF, Finding{Type: w.typ, Start: i, End: i + len(w.sub)})
			}
			if len(got) != len(wantF) {
				t.Fatalf("found %d: %s, want %d: %v", len(got), describe(tt.text, got), len(wantF), tt.want)
			}
			for i := range got {
				g, w := got[i], wantF[i]
				if g.Type != w.Type || g.Start != w.Start || g.End != w.End {
					t.Errorf("finding %d = %s %q [%d,%d), want %s %q [%d,%d)", i, g.Type, tt.text[g.Start:g.End], g.Start, g.End,
						w.Type, tt.text[w.Start:w.End], w.Start, w.End)
				}
			}
		})
	}
}

func describe(text string, fs []Finding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, string(f.Type)+" "+text[f.Start:f.End])
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{name: "email keeps the domain", text: "john.doe@example.com", want: "***@example.com"},
		{name: "card keeps the last four digits", text: "4111 1111 1111 1111", want: "**** **** **** 1111"},
		{name: "ssn keeps the last four digits", text: "123-45-6789", want: "***-**-6789"},
		{name: "phone keeps the last two digits", text: "+1 (415) 555-2671", want: "+* (***) ***-**71"},
		{name: "iban keeps the country and the last four", text: "DE89 3704 0044 0532 0130 00", want: "DE** **** **** **** **30 00"},
		{name: "ipv4 keeps the first octet", text: "192.168.1.10", want: "192.*.*.*"},
		{name: "ipv6 keeps the first group", text: "2001:db8::1", want: "2001:****"},
		{name: "aws key keeps its prefix", text: awsKey, want: "AKIA****"},
		{name: "github token keeps its prefix", text: ghpToken, want: "ghp_****"},
		{name: "fine-grained token keeps its prefix", text: ghPAT, want: "github_pat_****"},
		{name: "api key keeps its kind", text: antKey, want: "sk-ant-****"},
		{name: "jwt", text: jwtRFC, want: "eyJ****"},
		{name: "private key keeps its label", text: pemKey, want: "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----"},
	}
	f, err := NewFinder(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := f.Find(tt.text)
			if len(got) != 1 {
				t.Fatalf("found %s, want one finding", describe(tt.text, got))
			}
			if got[0].Redacted != tt.want {
				t.Errorf("redacted = %q, want %q", got[0].Redacted, tt.want)
			}
		})
	}
	text := "Mail a@b.io or call 020 7946 0958."
	if got, want := Redact(text, f.Find(text)), "Mail ***@b.io or call *** **** **58."; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}

func TestTypesParam(t *testing.T) {
	t.Parallel()
	text := "Card 4111 1111 1111 1111, mail a@b.io, phone 020 7946 0958."
	tests := []struct {
		name  string
		types []Type
		want  []Type
	}{
		{name: "all", want: []Type{CreditCard, Email, Phone}},
		{name: "phones only", types: []Type{Phone}, want: []Type{Phone}},
		// The card number is still a card, so restricting to phones does not turn it
		// into one.
		{name: "cards and phones", types: []Type{Phone, CreditCard}, want: []Type{CreditCard, Phone}},
		{name: "secrets only", types: []Type{APIKey, JWT}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := NewFinder(tt.types)
			if err != nil {
				t.Fatal(err)
			}
			var got []Type
			for _, x := range f.Find(text) {
				got = append(got, x.Type)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("types = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := NewFinder([]Type{"passport"}); err == nil {
		t.Error("NewFinder accepted an unknown type")
	}
}

func TestScorer(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(PII())
	if err != nil {
		t.Fatal(err)
	}
	for _, params := range []string{`{"types":["passport"]}`, `{"types":[]}`, `{"include_redacted_text":"yes"}`, `{"other":1}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "pii", Params: json.RawMessage(params)}}); err == nil {
			t.Errorf("params %s accepted, want a validation error", params)
		}
	}
	typ, _ := reg.Lookup("pii")
	s, err := typ.New(json.RawMessage(`{"types":["email","phone"],"include_redacted_text":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Score(context.Background(), scoring.Item{Response: "Mail a@b.io or call 020 7946 0958."})
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != 2 {
		t.Errorf("value = %v, want 2", res.Value)
	}
	raw, err := json.Marshal(res.Details)
	if err != nil {
		t.Fatal(err)
	}
	// "a@b.io" starts at byte 5; "020 7946 0958" at 20.
	want := `{"counts":{"email":1,"phone":1},"findings":[{"type":"email","start":5,"end":11,"redacted":"***@b.io"},` +
		`{"type":"phone","start":20,"end":33,"redacted":"*** **** **58"}],"redacted_text":"Mail ***@b.io or call *** **** **58."}`
	if string(raw) != want {
		t.Errorf("details = %s, want %s", raw, want)
	}
	res, err = s.Score(context.Background(), scoring.Item{Response: ""})
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(res.Details); string(raw) != `{"counts":{"email":0,"phone":0},"findings":[],"redacted_text":""}` {
		t.Errorf("details for empty response = %s", raw)
	}
}

// TestLongInput stays serial: it times each input, and sharing the CPU would
// blur what it measures.
func TestLongInput(t *testing.T) {
	tests := []struct {
		name string
		in   scoringtest.Input
		n    int
	}{
		{name: "prose with one email", in: scoringtest.Input{Unit: "The quick brown fox jumps over the lazy dog. ", N: 2200, Tail: "x@y.io"}, n: 1},
		{name: "digits and spaces", in: scoringtest.Input{Unit: "1 ", N: 50_000}},
		{name: "digit run", in: scoringtest.Input{Unit: "4", N: 100_000}},
		{name: "at signs", in: scoringtest.Input{Unit: "a@", N: 50_000}},
		{name: "colons", in: scoringtest.Input{Unit: "1:", N: 50_000}},
		{name: "dotted", in: scoringtest.Input{Unit: "1.", N: 50_000}},
		{name: "pem headers", in: scoringtest.Input{Unit: "-----BEGIN PRIVATE KEY-----\n", N: 3600}},
		{name: "jwt-like", in: scoringtest.Input{Unit: "eyJa.b.", N: 14_000}},
		{name: "many cards", in: scoringtest.Input{Unit: "4111 1111 1111 1111 ", N: 5000}, n: 5000},
		{name: "sk dashes", in: scoringtest.Input{Head: "sk-", Unit: "-", N: 100_000}},
	}
	f, err := NewFinder(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Timed against a quarter of the text: it catches super-linear
			// blow-ups, not slow machines.
			got := scoringtest.LinearTime(t, tt.in, f.Find)
			if len(got) != tt.n {
				t.Errorf("found %d, want %d", len(got), tt.n)
			}
		})
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"", "a@b.io", "4111 1111 1111 1111", "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00",
		"2001:db8::1", "192.168.0.1", jwtRFC, pemKey, antKey, "\xff\xfe1.2.3.4", "é@é.é 123-45-6789"} {
		f.Add(s)
	}
	finder, err := NewFinder(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := finder.Find(s)
		end := 0
		for _, x := range got {
			if x.Start < end || x.Start >= x.End || x.End > len(s) {
				t.Fatalf("finding %+v out of order or out of bounds (previous end %d, len %d)", x, end, len(s))
			}
			end = x.End
			if utf8.ValidString(s) && (!utf8.RuneStart(s[x.Start]) || x.End < len(s) && !utf8.RuneStart(s[x.End])) {
				t.Fatalf("finding %+v splits a rune", x)
			}
			if x.Redacted == s[x.Start:x.End] {
				t.Fatalf("finding %+v is not redacted", x)
			}
		}
		red := Redact(s, got)
		if len(got) == 0 && red != s {
			t.Fatalf("Redact changed a text without findings")
		}
	})
}

// TestClustersAreLossless checks that running patterns on clusters only loses no
// match: over the test texts, every match of each pattern on the whole text lies
// inside one cluster of its detector (when it has enough digits to be accepted).
func TestClustersAreLossless(t *testing.T) {
	t.Parallel()
	type check struct {
		name      string
		re        interface{ FindAllStringIndex(string, int) [][]int }
		in        func(byte) bool
		minDigits int
	}
	checks := []check{
		{"ssn", ssnPattern, func(c byte) bool { return isDigit(c) || c == '-' || c == ' ' }, 9},
		{"ipv4", ipv4Pattern, func(c byte) bool { return isDigit(c) || c == '.' }, 4},
		{"iban", ibanPattern, func(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'Z' || c == ' ' }, 2},
	}
	for i, form := range phoneForms {
		checks = append(checks, check{fmt.Sprintf("phone form %d", i), form.re, isPhoneByte, 8})
	}
	var texts []string
	for _, c := range findCases {
		texts = append(texts, c.text)
	}
	for _, b := range benchResponses {
		texts = append(texts, b)
	}
	matches := 0
	for _, text := range texts {
		for _, c := range checks {
			cs := clusters(text, c.in, 0)
			for _, m := range c.re.FindAllStringIndex(text, -1) {
				if len(digitsOf(text[m[0]:m[1]])) < c.minDigits {
					continue
				}
				matches++
				inside := false
				for _, sp := range cs {
					if sp.start <= m[0] && m[1] <= sp.end {
						inside = true
					}
				}
				if !inside {
					t.Errorf("%s: match %q in %q lies in no cluster", c.name, text[m[0]:m[1]], text)
				}
			}
		}
	}
	if matches < 50 {
		t.Errorf("only %d matches checked, want at least 50", matches)
	}
}

// TestClustersAroundDigits checks that finding clusters from their digits gives
// the runs a scan of every byte gives, less those with too few digits, on random
// texts dense in the bytes that runs are made of.
func TestClustersAroundDigits(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789 -.()+:ABCabz\n/"
	ins := []func(byte) bool{
		isPhoneByte,
		func(c byte) bool { return isDigit(c) || c == '.' },
		func(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'Z' || c == ' ' },
	}
	compared := 0
	for range 3000 {
		b := make([]byte, r.IntN(60))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		text := string(b)
		for _, in := range ins {
			all := clusters(text, in, 0)
			for minDigits := 1; minDigits <= 9; minDigits++ {
				var want []span
				for _, sp := range all {
					if len(digitsOf(text[sp.start:sp.end])) >= minDigits {
						want = append(want, sp)
					}
				}
				got := clusters(text, in, minDigits)
				if !slices.Equal(got, want) {
					t.Fatalf("clusters(%q, %d) = %v, want %v", text, minDigits, got, want)
				}
				compared += len(want)
			}
		}
	}
	if compared < 1000 {
		t.Errorf("only %d clusters compared", compared)
	}
}

// TestIPv6FromColons checks that finding address runs from their colons finds what
// reading every maximal run of address bytes finds, on random texts dense in
// address bytes and on the test texts.
func TestIPv6FromColons(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789abcdefABCDEF::::.. xg\n"
	texts := []string{"", ":", "::", "fe80::1 and 2001:db8::8a2e:370:7334.", "a:b:c"}
	for range 5000 {
		b := make([]byte, r.IntN(50))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		texts = append(texts, string(b))
	}
	for _, c := range findCases {
		texts = append(texts, c.text)
	}
	found := 0
	for _, text := range texts {
		var want []Finding
		for _, sp := range clusters(text, isIPv6Byte, 0) {
			if f, ok := ipv6Run(text, sp.start, sp.end); ok {
				want = append(want, f)
			}
		}
		got := findIPv6(text)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("findIPv6(%q) = %v, want %v", text, got, want)
		}
		found += len(want)
	}
	if found < 50 {
		t.Errorf("only %d addresses found, want at least 50", found)
	}
}
