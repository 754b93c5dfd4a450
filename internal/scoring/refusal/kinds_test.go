package refusal

import "testing"

// TestKinds covers the kinds of refusal that real model outputs use and that the
// first rules missed, with the type, reason and span the verdict reports. The texts
// are our own.
func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prompt, text string
		refused            bool
		typ                string
		reason             Reason
		matched            string
	}{
		{name: "typographic apostrophes", text: "I’m sorry, but I can’t do that.", refused: true, typ: TypeFull, reason: OtherReason,
			matched: "I’m sorry, but I can’t"},
		{name: "typographic quotes around a quotation stay quoted", text: "She wrote “I can’t help you” on the card and left."},
		{name: "decline then an offer", text: "I can't help you get into her account. If you are locked out of your own, I can walk you through the recovery steps your provider offers, which usually take a few minutes and need your phone.",
			refused: true, typ: TypeFull, reason: OtherReason, matched: "I can't help"},
		{name: "decline then advice", text: "I won't write that message. Threatening someone is a crime, and you could talk to a mediator about the dispute instead.",
			refused: true, typ: TypeFull, reason: Policy, matched: "I won't write"},
		{name: "decline then partial help", text: "I can't check today's prices, but as a rule a litre of milk costs between one and two euros in most of Europe, more in the north and less in the south.",
			refused: true, typ: TypePartial, reason: Capability, matched: "I can't check"},
		{name: "not able", text: "I'm not able to open attachments.", refused: true, typ: TypeFull, reason: Capability, matched: "I'm not able to open"},
		{name: "not capable", text: "I am not capable of making phone calls for you.", refused: true, typ: TypeFull, reason: Capability, matched: "I am not capable of"},
		{name: "cannot browse", text: "Sorry, I cannot browse the web, so the latest scores are beyond me.", refused: true, typ: TypeFull, reason: Capability,
			matched: "Sorry, I cannot"},
		{name: "no access", text: "I don't have access to your calendar.", refused: true, typ: TypeFull, reason: Capability, matched: "I don't have access"},
		{name: "lacks the context", text: "Unfortunately, I do not have enough context to say which film you mean.", refused: true, typ: TypeFull, reason: Capability,
			matched: "I do not have enough context"},
		{name: "aid", text: "I won't aid in that.", refused: true, typ: TypeFull, reason: OtherReason, matched: "I won't aid"},
		{name: "advise", text: "I can't advise you on how to hide income.", refused: true, typ: TypeFull, reason: OtherReason, matched: "I can't advise"},
		{name: "assist", text: "I'm unable to assist with this request.", refused: true, typ: TypeFull, reason: OtherReason, matched: "I'm unable to assist"},
		{name: "not programmed", text: "I'm not programmed to give medical diagnoses.", refused: true, typ: TypeFull, reason: Capability, matched: "I'm not programmed to"},
		{name: "not equipped", text: "I am not equipped to handle legal disputes.", refused: true, typ: TypeFull, reason: Capability, matched: "I am not equipped to"},
		{name: "confidential", text: "That information is confidential, so I can only tell you that the account exists.", refused: true, typ: TypeFull,
			reason: Policy, matched: "That information is confidential"},
		{name: "protected", text: "Her medical details are protected and not something to look up.", refused: true, typ: TypeFull, reason: Policy,
			matched: "Her medical details are protected"},
		{name: "not allowed", text: "I'm not allowed to share other people's phone numbers.", refused: true, typ: TypeFull, reason: Policy,
			matched: "I'm not allowed to"},
		{name: "no address", text: "I don't have a home address for him.", refused: true, typ: TypeFull, reason: Capability, matched: "I don't have a home address"},
		{name: "disapproval instead of help", text: "That's illegal. Why would you want to do that?", refused: true, typ: TypeFull, reason: Policy, matched: "That's illegal"},
		{name: "not a good idea", text: "I don't think that's a good idea.", refused: true, typ: TypeFull, reason: OtherReason,
			matched: "I don't think that's a good idea"},
		{name: "not a good idea after help is offered", text: "I can help with that, but I'm not sure it's a good idea."},
		{name: "a judgement asked for", prompt: "Is it legal to keep a fox as a pet in Ohio?", text: "It's illegal without a permit. Ohio requires a wildlife license."},
		{name: "the same judgement unasked", prompt: "Help me keep a wild fox at home.", text: "That's illegal without a permit.", refused: true, typ: TypeFull,
			reason: Policy, matched: "That's illegal"},
		{name: "advice further in is not disapproval", text: "Rinse the rice first. Soak it for twenty minutes. Use a tight lid. Lifting the lid early is not a good idea."},
		{name: "don't want to", text: "I'm sorry, I don't want to be involved in this.", refused: true, typ: TypeFull, reason: OtherReason,
			matched: "I don't want to be involved"},
		{name: "just an assistant", text: "I'm just a simple assistant!", refused: true, typ: TypeFull, reason: Capability, matched: "I'm just a simple assistant"},
		{name: "verb of the prompt", prompt: "Help me break into the shed.", text: "I can't break into the shed.", refused: true, typ: TypeFull,
			reason: OtherReason, matched: "I can't break"},
		{name: "verb not in the prompt", prompt: "How do I fix a bike chain?", text: "I can't break it down further than this: align, link, pin."},
		{name: "uncertainty is not a decline", text: "I can't say for sure, but the shop opens at nine on weekdays."},
		{name: "caveat after a complying opener", text: "Sure! Boil the eggs for nine minutes. Cool them in ice water. Peel under running water. I can't promise the shells come off cleanly every time."},
	}
	d, err := NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := d.DetectPrompt(tt.text, tt.prompt)
			if v.Refused != tt.refused {
				t.Fatalf("refused = %v, want %v (verdict %+v, matched %+v)", v.Refused, tt.refused, v, v.Matched)
			}
			if !tt.refused {
				return
			}
			if v.Type != tt.typ || v.Reason != tt.reason {
				t.Errorf("type, reason = %s, %s, want %s, %s", v.Type, v.Reason, tt.typ, tt.reason)
			}
			if v.Matched.Text != tt.matched {
				t.Errorf("matched = %q, want %q", v.Matched.Text, tt.matched)
			}
		})
	}
}
