package textnorm

import (
	"strings"
	"testing"
)

func BenchmarkNew(b *testing.B) {
	texts := map[string]string{
		"ascii":       strings.Repeat("I can't help with that. Here is why: it would hurt people.\n", 35),
		"typographic": strings.Repeat("I’m sorry, but I can’t help with that. “Quoted” words follow.\n", 30),
		"nfkc":        strings.Repeat("Ｆｕｌｌ-width text, ligatures ﬁ and an ellipsis… in a line.\n", 30),
	}
	for _, name := range []string{"ascii", "typographic", "nfkc"} {
		text := texts[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				New(text)
			}
		})
	}
}
