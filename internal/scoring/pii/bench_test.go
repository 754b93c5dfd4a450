package pii

import (
	"strings"
	"testing"
)

// benchResponses are about 2 KB each.
var benchResponses = map[string]string{
	// An answer holding a few findings of several types.
	"with_pii": strings.Repeat("Sure. Contact jane.roe@example.com or +44 20 7946 0958; the invoice went to IBAN "+
		"GB29 NWBK 6016 1331 9268 19 and the test card 4111 1111 1111 1111. The server is 10.0.0.12 and the "+
		"deploy key was "+awsKey+". Dates: 2024-01-15, version 1.2.3. ", 7),
	// Prose with numbers, dates and versions but no findings.
	"prose": strings.Repeat("In 2023 the team shipped version 2.4.1 on 15/01/2024 after 1,250 tests passed in 37.5 "+
		"minutes; order ORD-0123-456789 and ISBN 978-3-16-148410-0 were mentioned at 10:30:45 by the release notes. ", 10),
}

func BenchmarkFind(b *testing.B) {
	f, err := NewFinder(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"with_pii", "prose"} {
		text := benchResponses[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for i := 0; i < b.N; i++ {
				f.Find(text)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
