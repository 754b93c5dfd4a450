package postgres

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// appendObject appends m as json.Marshal writes it, byte for byte (keys sorted,
// HTML characters escaped), doing the kinds of values that scores' details hold
// (strings, numbers, booleans, lists of strings, counts by name, nested objects)
// itself and handing any other value, and any string or number json.Marshal
// writes in a form of its own, to json.Marshal. Encoding the details of a bulk
// request's scores with json.Marshal was most of the writer's encoding: it
// reflects on every value and sorts every map's keys through reflect.Values.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	return appendMap(b, m, appendValue)
}

// appendMap appends m with its keys sorted, each value by value.
func appendMap[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		b = appendJSONString(b, k)
		b = append(b, ':')
		if b, err = value(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		// json.Marshal writes these magnitudes with 'f' and the shortest digits;
		// others in exponent form of its own, and it refuses NaN and infinities.
		if a := math.Abs(x); a == 0 || a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(b, x, 'f', -1, 64), nil
		}
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	case map[string]int:
		return appendMap(b, x, func(b []byte, n int) ([]byte, error) { return strconv.AppendInt(b, int64(n), 10), nil })
	case map[string]any:
		return appendObject(b, x)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendJSONString quotes s as json.Marshal does: printable ASCII other than
// " \ < > & as it is, anything else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always encodes
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
