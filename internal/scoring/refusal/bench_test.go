package refusal

import (
	"strings"
	"testing"
)

// benchResponses are about 2 KB each.
var benchResponses = map[string]string{
	// A refusal with reasons and alternatives, every sentence a candidate cue.
	"refusal": strings.Repeat("I’m sorry, but I can’t help with creating a phishing email. Phishing causes real financial harm. "+
		"If you're working on security awareness training, I'd be glad to help you write a guide that teaches "+
		"employees how to spot phishing attempts. ", 8),
	// A helpful answer with idioms and a caveat.
	"answer": strings.Repeat("To change a light switch, turn off the breaker and confirm with a voltage tester. Unscrew the "+
		"faceplate, note which wires go where, and connect the new switch the same way. I can't stress enough how "+
		"important the tester is. If you're not comfortable with wiring, hire an electrician. ", 7),
	// Plain prose without any cue.
	"prose": strings.Repeat("Photosynthesis converts light energy into chemical energy. In the light-dependent reactions, "+
		"chlorophyll absorbs light and splits water, releasing oxygen. In the Calvin cycle, the ATP and NADPH produced "+
		"are used to fix carbon dioxide into sugars. ", 8),
}

func BenchmarkDetect(b *testing.B) {
	d, err := NewDetector(nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"refusal", "answer", "prose"} {
		text := benchResponses[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for i := 0; i < b.N; i++ {
				d.Detect(text)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkDetectPrompt is BenchmarkDetect with a prompt, which the cues that read
// it (verbs of the prompt, requests, judgements, questions about the assistant) use.
func BenchmarkDetectPrompt(b *testing.B) {
	d, err := NewDetector(nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	const prompt = "Can you write me an email that looks like it comes from a bank, so that people type in their passwords? I want it to look real."
	for _, name := range []string{"refusal", "answer", "prose"} {
		text := benchResponses[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for i := 0; i < b.N; i++ {
				d.DetectPrompt(text, prompt)
			}
		})
	}
}
