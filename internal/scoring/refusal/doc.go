// Package refusal holds the refusal scorer: a rule-based detector that decides whether
// a response refuses or deflects the request it answers, and which kind of refusal it
// is (a direct refusal, an apology with a statement of inability, a policy citation,
// an "as an AI" disclaimer, or a soft deflection).
//
// The detector looks for refusal cues with regular expressions (RE2, so its running
// time is linear in the input) and then weighs each cue by where it stands: cues
// inside quotations, code or scripted dialogue do not count, cues far into the
// response count for little, and a cue followed by substantial help is a partial
// refusal when it opens the response and a caveat on a helpful answer when it comes
// late or after a complying opener. The verdict says the refusal's type (full or
// partial), its reason (capability, policy or other) and the span that decided it.
package refusal
