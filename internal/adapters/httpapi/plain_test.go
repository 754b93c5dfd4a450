package httpapi

import (
	"reflect"
	"testing"
)

var plainCases = []struct {
	name  string
	body  string
	plain bool // whether decodePlain takes it
}{
	{"the usual item", `{"external_id":"e1","model":"m","prompt":"p","response":"r"}`, true},
	{"white space around every token", " { \"model\" :\t\"m\" ,\r\n \"prompt\":\"p\" } \n", true},
	{"short escapes", `{"response":"a\nb\t\"q\" \\ \/ \b\f\r end"}`, true},
	{"escape first and last", `{"response":"\"middle\""}`, true},
	{"UTF-8", `{"prompt":"héllo — “quoted” 😀","response":"ﬁ ½"}`, true},
	{"null optionals", `{"response":null,"reference":null,"model":"m"}`, true},
	{"a reference", `{"response":"r","reference":"ref"}`, true},
	{"a repeated member, last wins", `{"model":"a","model":"b"}`, true},
	{"an optional set, then null", `{"response":"x","response":null}`, true},
	{"empty strings", `{"external_id":"","prompt_id":"","model":"","prompt":"","response":""}`, true},
	{"no members", `{}`, true},
	{"a \\u escape", `{"response":"caf\u00e9"}`, false},
	{"a NUL escape", `{"response":"a\u0000b"}`, false},
	{"invalid UTF-8", "{\"response\":\"a\xffb\"}", false},
	{"invalid UTF-8 around an escape", "{\"response\":\"\xe2\\n\x82\xac\"}", false},
	{"null for a required string", `{"model":null}`, false},
	{"a name in another case", `{"Model":"m"}`, false},
	{"an escaped name", `{"mod\u0065l":"m"}`, false},
	{"an unknown member", `{"model":"m","extra":1}`, false},
	{"a member set by the server", `{"id":"x"}`, false},
	{"context", `{"context":[{"role":"user","content":"hi"}]}`, false},
	{"metadata", `{"metadata":{"a":1}}`, false},
	{"data after the object", `{"model":"m"} x`, false},
	{"a second object", `{"model":"m"}{}`, false},
	{"a trailing comma", `{"model":"m",}`, false},
	{"a number for a string", `{"model":1}`, false},
	{"a raw tab in a string", "{\"model\":\"a\tb\"}", false},
	{"an unknown escape", `{"model":"a\qb"}`, false},
	{"cut short in a string", `{"model":"m`, false},
	{"cut short after a member", `{"model":"m"`, false},
	{"cut short in an escape", `{"model":"m\`, false},
	{"no colon", `{"model" "m"}`, false},
	{"not an object", `["m"]`, false},
	{"nul for null", `{"response":nul}`, false},
	{"null run into a name", `{"response":nullx}`, false},
}

// TestDecodePlain checks that decodePlain takes the common shapes of a response
// and, whenever it takes an item, makes of it exactly what the strict decoder
// makes; what it leaves must leave the receiver untouched.
func TestDecodePlain(t *testing.T) {
	for _, tc := range plainCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkPlain(t, []byte(tc.body)); got != tc.plain {
				t.Errorf("decodePlain(%s) = %v, want %v", tc.body, got, tc.plain)
			}
		})
	}
}

// checkPlain compares decodePlain with the strict decoder on data and reports
// whether decodePlain took it.
func checkPlain(t *testing.T, data []byte) bool {
	t.Helper()
	untouched := responseIn{Model: "before"}
	fast := untouched
	ok := fast.decodePlain(data)
	if !ok {
		if !reflect.DeepEqual(fast, untouched) {
			t.Fatalf("decodePlain(%q) refused the item but changed the receiver to %+v", data, fast)
		}
		return false
	}
	var strict responseIn
	if err := decodeWithJSON(data, &strict, ""); err != nil {
		t.Fatalf("decodePlain(%q) took an item the strict decoder refuses: %v", data, err)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("decodePlain(%q) = %+v, the strict decoder %+v", data, fast, strict)
	}
	return true
}

// FuzzDecodePlain looks for an item that decodePlain takes and decodes otherwise
// than the strict decoder.
func FuzzDecodePlain(f *testing.F) {
	for _, tc := range plainCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkPlain(t, data) })
}
