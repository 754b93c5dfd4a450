package httpapi

import "unicode/utf8"

// plainDecoder is implemented by request types whose common shape can be decoded
// without encoding/json: decodePlain decodes data and reports true only when the
// result is exactly what the strict decoder would make of it; for anything else
// it reports false, leaves the receiver as it was, and the strict decoder decodes
// the item (and words any error). On a bulk body of 1.5 KB responses the strict
// decoder (a json.Decoder per item, which scans every byte twice through its
// state machine and copies the item into its own buffer) cost about a sixth of
// the service's CPU.
type plainDecoder interface {
	decodePlain(data []byte) bool
}

// decodePlain takes an object whose members are the string fields of a response
// under their exact names (or null for the optional ones), in any order.
// Everything else (context, metadata, a name in another case, an escape other than
// the short ones, invalid UTF-8, a syntax error) is left to the strict decoder.
func (r *responseIn) decodePlain(data []byte) bool {
	var out responseIn
	p := plainParser{data: data}
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return p.end() && r.set(out)
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "external_id":
			ok = p.text(&out.ExternalID)
		case "prompt_id":
			ok = p.text(&out.PromptID)
		case "model":
			ok = p.text(&out.Model)
		case "prompt":
			ok = p.text(&out.Prompt)
		case "response":
			ok = p.optText(&out.Response)
		case "reference":
			ok = p.optText(&out.Reference)
		default:
			return false
		}
		if !ok {
			return false
		}
		if p.consume('}') {
			return p.end() && r.set(out)
		}
		if !p.consume(',') {
			return false
		}
	}
}

func (r *responseIn) set(v responseIn) bool {
	*r = v
	return true
}

// plainParser reads the few JSON forms decodePlain accepts.
type plainParser struct {
	data []byte
	i    int
	buf  []byte // unescaped text, reused within an item
}

func (p *plainParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c is next.
func (p *plainParser) consume(c byte) bool {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *plainParser) end() bool {
	p.space()
	return p.i == len(p.data)
}

// key reads a member name of plain ASCII and the colon after it. The name is
// only compared, so it is not copied.
func (p *plainParser) key() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			name := p.data[start:p.i]
			p.i++
			return name, p.consume(':')
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// text reads a string into *dst. null is refused: encoding/json leaves a string
// field as it was, which a repeated member could tell apart.
func (p *plainParser) text(dst *string) bool {
	if !p.consume('"') {
		return false
	}
	s, ok := p.rest()
	if ok {
		*dst = s
	}
	return ok
}

// optText reads a string or null into *dst (null sets it to nil, as encoding/json does).
func (p *plainParser) optText(dst **string) bool {
	p.space()
	if p.i+4 <= len(p.data) && string(p.data[p.i:p.i+4]) == "null" {
		p.i += 4
		*dst = nil
		return true
	}
	var s string
	if !p.text(&s) {
		return false
	}
	*dst = &s
	return true
}

// rest reads the rest of a string whose opening quote was read. It takes valid
// UTF-8 and the escapes \" \\ \/ \b \f \n \r \t, which encoding/json decodes the
// same way; \u escapes and invalid UTF-8 (which encoding/json replaces) are left
// to it. An escape only ever puts ASCII between the bytes around it, so the
// result is valid UTF-8 exactly when the input's pieces are.
func (p *plainParser) rest() (string, bool) {
	b := p.buf[:0]
	escaped, wide := false, false
	run := p.i // the start of the bytes not yet copied to b
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c >= 0x20 && c != '"' && c != '\\' {
			wide = wide || c >= utf8.RuneSelf
			p.i++
			continue
		}
		switch c {
		case '"':
			s := p.data[run:p.i]
			if escaped {
				b = append(b, s...)
				p.buf, s = b, b
			}
			p.i++
			if wide && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case '\\':
			if p.i+1 >= len(p.data) {
				return "", false
			}
			b = append(b, p.data[run:p.i]...)
			switch e := p.data[p.i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			default:
				return "", false
			}
			escaped = true
			p.i += 2
			run = p.i
		default: // a control character, which JSON strings may not hold
			return "", false
		}
	}
	return "", false
}
