package pii

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// AWS access key ids are AKIA (long-term), ASIA (temporary), ABIA or ACCA followed
// by 16 base-32 characters (A-Z, 2-7), standing alone. Ids ending in "EXAMPLE" are
// the documentation's placeholders (AKIAIOSFODNN7EXAMPLE) and are not reported.
var awsPattern = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)

func findAWSKeys(text string) []Finding {
	if !(strings.Contains(text, "AKIA") || strings.Contains(text, "ASIA") || strings.Contains(text, "ABIA") || strings.Contains(text, "ACCA")) {
		return nil
	}
	var out []Finding
	for _, m := range awsPattern.FindAllStringIndex(text, -1) {
		if strings.HasSuffix(text[m[0]:m[1]], "EXAMPLE") {
			continue
		}
		out = append(out, secretFinding(AWSAccessKey, m[0], m[1], text[m[0]:m[0]+4]))
	}
	return out
}

// GitHub tokens are a ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_
// (server-to-server) or ghr_ (refresh) prefix and exactly 36 letters and digits,
// or github_pat_ and exactly 82 letters, digits and underscores (fine-grained
// personal access tokens), standing alone.
var githubPattern = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b`)

func findGitHubTokens(text string) []Finding {
	if !strings.Contains(text, "gh") && !strings.Contains(text, "github_pat_") {
		return nil
	}
	var out []Finding
	for _, m := range githubPattern.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		prefix := s[:4]
		if strings.HasPrefix(s, "github_pat_") {
			prefix = "github_pat_"
		}
		out = append(out, secretFinding(GitHubToken, m[0], m[1], prefix))
	}
	return out
}

// API keys in the "sk-" style are sk-, sk-proj-, sk-svcacct-, sk-admin- (OpenAI) or
// sk-ant- (Anthropic) and a body of letters, digits, '-' and '_': at least 20
// characters after an OpenAI kind prefix, at least 32 otherwise. The body must mix
// upper-case letters, lower-case letters and digits and use at least 10 distinct
// characters, so that "sk-" in prose, "sk-learn" and placeholders such as
// "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" are not reported.
var apiKeyPattern = regexp.MustCompile(`\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|ant-[A-Za-z0-9_-]{32,}|[A-Za-z0-9_-]{32,})`)

func findAPIKeys(text string) []Finding {
	if !strings.Contains(text, "sk-") {
		return nil
	}
	var out []Finding
	for _, m := range apiKeyPattern.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		prefix := "sk-"
		for _, kind := range []string{"sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-"} {
			if strings.HasPrefix(s, kind) {
				prefix = kind
				break
			}
		}
		if !keyLike(s[len(prefix):]) || m[1] < len(text) && isWord(text[m[1]]) {
			continue
		}
		out = append(out, secretFinding(APIKey, m[0], m[1], prefix))
	}
	return out
}

// keyLike reports whether s mixes upper case, lower case and digits and has at least
// 10 distinct characters, as randomly generated keys do.
func keyLike(s string) bool {
	var upper, lower, digit bool
	seen := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		seen[c] = true
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case isDigit(c):
			digit = true
		}
	}
	return upper && lower && digit && len(seen) >= 10
}

// Private keys are PEM blocks: a "-----BEGIN ... PRIVATE KEY-----" line (RSA, EC,
// DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK, or none) through the matching END line.
// A block whose END line is missing (a key cut off mid-way) runs to the end of its
// base64 lines. Blocks with fewer than 64 base64 characters of body are
// placeholders ("MIIE...") and are not reported.
var pemBegin = regexp.MustCompile(`-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----`)

const minPEMBody = 64

func findPrivateKeys(text string) []Finding {
	if !strings.Contains(text, "-----BEGIN ") {
		return nil
	}
	begins := pemBegin.FindAllStringIndex(text, -1)
	var out []Finding
	for i, loc := range begins {
		start, headerEnd := loc[0], loc[1]
		// A block cannot hold another BEGIN line, so its END is looked for only up
		// to the next one; this keeps the search linear in the text.
		limit := len(text)
		if i+1 < len(begins) {
			limit = begins[i+1][0]
		}
		label := text[start+len("-----BEGIN ") : headerEnd-len("-----")]
		endMarker := "-----END " + label + "-----"
		var end, bodyEnd int
		if k := strings.Index(text[headerEnd:limit], endMarker); k >= 0 {
			bodyEnd = headerEnd + k
			end = bodyEnd + len(endMarker)
		} else {
			bodyEnd = pemBodyEnd(text[:limit], headerEnd)
			end = bodyEnd
		}
		if base64Chars(text[headerEnd:bodyEnd]) < minPEMBody {
			continue
		}
		out = append(out, Finding{Type: PrivateKey, Start: start, End: end,
			Redacted: "-----BEGIN " + label + "-----[REDACTED]-----END " + label + "-----"})
	}
	return out
}

// pemBodyEnd returns where the base64 lines (and "Name: value" header lines) that
// follow a BEGIN line stop.
func pemBodyEnd(text string, from int) int {
	end := from
	for i := from; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		line := text[i:]
		if j >= 0 {
			line = text[i : i+j]
		}
		trimmed := strings.TrimRight(line, "\r ")
		if trimmed != "" && !isBase64Line(trimmed) && !strings.Contains(trimmed, ": ") {
			break
		}
		if trimmed != "" {
			end = i + len(trimmed)
		}
		if j < 0 {
			break
		}
		i += j + 1
	}
	return end
}

func isBase64Line(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBase64Byte(s[i]) {
			return false
		}
	}
	return true
}

func isBase64Byte(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '=' }

func base64Chars(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isBase64Byte(s[i]) {
			n++
		}
	}
	return n
}

// JSON Web Tokens are three base64url parts joined by dots, standing alone: a header
// that decodes to a JSON object with a string "alg", a payload that decodes to JSON,
// and a signature that is empty only when alg is "none".
var jwtPattern = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

func findJWTs(text string) []Finding {
	if !strings.Contains(text, "eyJ") {
		return nil
	}
	var out []Finding
	for _, m := range jwtPattern.FindAllStringIndex(text, -1) {
		if m[1] < len(text) && (isWord(text[m[1]]) || text[m[1]] == '.' && m[1]+1 < len(text) && isWord(text[m[1]+1])) {
			continue
		}
		parts := strings.Split(text[m[0]:m[1]], ".")
		var header struct {
			Alg *string `json:"alg"`
		}
		raw, err := decodeSegment(parts[0])
		if err != nil || json.Unmarshal(raw, &header) != nil || header.Alg == nil {
			continue
		}
		payload, err := decodeSegment(parts[1])
		if err != nil || !json.Valid(payload) {
			continue
		}
		if parts[2] == "" && *header.Alg != "none" {
			continue
		}
		out = append(out, secretFinding(JWT, m[0], m[1], "eyJ"))
	}
	return out
}

// decodeSegment decodes one base64url JWT part, with or without padding.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// secretFinding redacts a secret to its type prefix and four asterisks.
func secretFinding(t Type, start, end int, prefix string) Finding {
	return Finding{Type: t, Start: start, End: end, Redacted: prefix + "****"}
}
