package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// textGen writes English-like prompts and responses from a seeded source, so two
// runs with the same seed produce the same data. Responses average about 1.5 KB;
// a share of them are refusals and a share contain personal data, so the refusal
// and pii scorers have real work to report.
type textGen struct {
	r *rand.Rand
	// refusalRate and piiRate are the probabilities that a response is a refusal
	// or carries an e-mail address, phone number or IP address.
	refusalRate, piiRate float64
}

func newTextGen(seed uint64) *textGen {
	return &textGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), refusalRate: 0.06, piiRate: 0.04}
}

func (g *textGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

var (
	topics = []string{
		"database migration", "unit testing", "sourdough baking", "marathon training", "home solar panels",
		"household budgeting", "learning Spanish", "container orchestration", "garden composting",
		"portrait photography", "salary negotiation", "cache invalidation", "urban cycling", "remote onboarding",
		"rate limiting", "coffee roasting", "knee rehabilitation", "public speaking", "tax filing for freelancers",
		"indoor air quality", "API versioning", "bird watching", "index fund investing", "sleep hygiene",
		"technical interviews", "rainwater harvesting", "log aggregation", "chess openings", "meal planning",
		"electric car charging", "open source licensing", "woodworking joints", "team retrospectives",
		"data privacy compliance", "houseplant care", "moving to a new city", "password management",
		"search engine ranking", "small business accounting", "queue-based architectures",
	}
	audiences = []string{
		"a small team", "a beginner", "a busy parent", "a first-year student", "a startup founder",
		"a retired engineer", "a nonprofit", "a hobbyist", "a hospital IT department", "a freelance designer",
	}
	situations = []string{
		"We currently run everything on a single server and deploy about twice a week.",
		"I have tried a couple of approaches already and none of them stuck for more than a month.",
		"Our budget is limited and most of the work happens in the evenings.",
		"The people involved have very different levels of experience.",
		"There is a deadline in six weeks and we cannot afford a long outage.",
		"I live in a small apartment with little storage and an unreliable internet connection.",
		"Most of what I have read online contradicts itself, so I am not sure whom to trust.",
		"We already keep notes in a shared document, but nobody reads them.",
	}
	constraints = []string{
		"Please give concrete steps, mention the main risks, and keep the answer practical.",
		"A short list of priorities with one sentence of reasoning each would help most.",
		"Explain the trade-offs plainly and say what you would do first in my position.",
		"Avoid jargon where you can, and point out the mistakes people usually make.",
		"Compare two or three options and recommend one, with the reasons.",
	}
	adjectives = []string{
		"simple", "reliable", "careful", "gradual", "common", "useful", "practical", "small", "large",
		"important", "clear", "consistent", "expensive", "cheap", "quick", "slow", "safe", "risky",
		"obvious", "hidden", "regular", "occasional", "shared", "separate", "existing", "new", "old",
		"typical", "frequent", "rare", "flexible", "strict", "healthy", "fragile", "stable", "noisy",
	}
	nouns = []string{
		"plan", "schedule", "budget", "process", "habit", "tool", "routine", "checklist", "system", "step",
		"result", "problem", "change", "record", "measurement", "estimate", "backup", "review", "team",
		"customer", "deadline", "workload", "approach", "resource", "goal", "baseline", "signal", "method",
		"question", "decision", "version", "detail", "window", "setting", "cost", "benefit", "risk",
		"experiment", "feedback", "document", "summary", "pattern", "limit", "source", "target", "choice",
	}
	verbs = []string{
		"improve", "reduce", "protect", "track", "compare", "review", "change", "measure", "simplify",
		"support", "replace", "test", "document", "prepare", "schedule", "adjust", "separate", "combine",
		"limit", "monitor", "share", "explain", "repeat", "check", "organize", "update", "estimate",
	}
	adverbs = []string{
		"quickly", "slowly", "carefully", "rarely", "usually", "gradually", "consistently", "often",
		"eventually", "deliberately", "quietly", "easily", "reliably", "safely",
	}
	preps = []string{
		"before the next", "after every", "during the first", "without a", "around the", "for each",
		"across the", "within a", "alongside the", "instead of the",
	}
	connectors = []string{
		"However,", "In practice,", "For example,", "As a rule,", "In most cases,", "On the other hand,",
		"Over time,", "At first,", "Ideally,", "Surprisingly,", "Above all,", "Finally,",
	}
	openers = []string{
		"Sure! Here is a practical overview of %s.",
		"Good question. %s is mostly about a few habits done consistently.",
		"Short answer: it depends, but there is a sensible default for %s.",
		"Here is how I would approach %s, step by step.",
		"There are three things that matter most for %s.",
		"Happy to help with %s. Let me start with the basics.",
	}
	closers = []string{
		"Let me know if you want more detail on any of these steps.",
		"If you share more about your situation, I can make this more specific.",
		"Start small, measure the result, and adjust from there.",
		"None of this has to happen at once; pick the first step and begin this week.",
	}
	refusals = []string{
		"I'm sorry, but I can't help with that request.",
		"I can't assist with that. It could be used to harm other people.",
		"As an AI language model, I am not able to provide instructions for that.",
		"I'm unable to help with this request because it goes against my guidelines.",
		"Sorry, I won't help with that.",
	}
	refusalFollowUps = []string{
		"If you are interested in %s more generally, I can explain the underlying principles instead.",
		"I would be glad to help with a related question about %s.",
		"Please consider asking a qualified professional about %s.",
	}
	firstNames = []string{"maria", "james", "li", "fatima", "olga", "pedro", "aisha", "tom", "yuki", "noah"}
	lastNames  = []string{"garcia", "smith", "wang", "khan", "ivanova", "silva", "okafor", "brown", "sato", "meyer"}
	mailHosts  = []string{"gmail.com", "outlook.com", "corpmail.net", "university.edu", "proton.me"}
	// areaCodes are assigned North American area codes, so the numbers are well formed.
	areaCodes = []string{"212", "206", "305", "312", "415", "503", "617", "702", "718", "919"}
)

// article returns "a" or "an" for w by its first letter, which is right for the
// word lists above.
func article(w string) string {
	if strings.ContainsRune("aeiou", rune(w[0])) {
		return "an"
	}
	return "a"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sentence is one English-like sentence built from one of several patterns.
func (g *textGen) sentence() string {
	adj, noun, noun2 := g.pick(adjectives), g.pick(nouns), g.pick(nouns)
	switch g.r.IntN(8) {
	case 0:
		return fmt.Sprintf("%s %s %s helps you %s the %s %s %s.", capitalize(article(adj)), adj, noun,
			g.pick(verbs), noun2, g.pick(preps), g.pick(nouns))
	case 1:
		return fmt.Sprintf("%s the %s tends to %s %s, which makes the %s %s.", g.pick(connectors), noun,
			g.pick(verbs), g.pick(adverbs), noun2, g.pick(adjectives))
	case 2:
		return fmt.Sprintf("This means you can %s the %s without losing track of the %s %s.", g.pick(verbs),
			noun, adj, noun2)
	case 3:
		return fmt.Sprintf("First %s the %s, then %s the %s and check that it stays %s.", g.pick(verbs), noun,
			g.pick(verbs), noun2, adj)
	case 4:
		return fmt.Sprintf("Most people %s the %s %s, and that is usually the %s mistake.", g.pick(verbs), noun,
			g.pick(adverbs), adj)
	case 5:
		return fmt.Sprintf("Keep %s %s %s so that every %s is easy to %s later.", article(adj), adj, noun,
			noun2, g.pick(verbs))
	case 6:
		return fmt.Sprintf("%s a %s %s will %s the %s more than any single %s.", g.pick(connectors), adj, noun,
			g.pick(verbs), noun2, g.pick(nouns))
	default:
		return fmt.Sprintf("If the %s looks %s, %s it before the next %s.", noun, adj, g.pick(verbs), noun2)
	}
}

// prompt returns a question about topic of about 300 bytes.
func (g *textGen) prompt(topic string) string {
	var b strings.Builder
	switch g.r.IntN(3) {
	case 0:
		fmt.Fprintf(&b, "How should %s approach %s when there is little time to spare?", g.pick(audiences), topic)
	case 1:
		fmt.Fprintf(&b, "What is the best way to get started with %s for %s?", topic, g.pick(audiences))
	default:
		fmt.Fprintf(&b, "Can you explain %s to %s who has never done it before?", topic, g.pick(audiences))
	}
	// Two different situations and a constraint bring it to about 300 bytes.
	i := g.r.IntN(len(situations))
	j := (i + 1 + g.r.IntN(len(situations)-1)) % len(situations)
	b.WriteString(" " + situations[i] + " " + situations[j])
	b.WriteString(" " + g.pick(constraints))
	return b.String()
}

// response returns an answer about topic: usually a helpful answer of one to two
// and a half kilobytes, sometimes a short refusal, sometimes with personal data;
// refused and leaks say which.
func (g *textGen) response(topic string) (text string, refused, leaks bool) {
	var b strings.Builder
	if g.r.Float64() < g.refusalRate {
		b.WriteString(g.pick(refusals))
		if g.r.IntN(2) == 0 {
			b.WriteString(" " + fmt.Sprintf(g.pick(refusalFollowUps), topic))
		}
		return b.String(), true, false
	}
	b.WriteString(fmt.Sprintf(g.pick(openers), topic))
	target := 800 + g.r.IntN(1200)
	withList := g.r.IntN(3) == 0
	pii := g.r.Float64() < g.piiRate
	leaks = pii
	for para := 0; b.Len() < target; para++ {
		b.WriteString("\n\n")
		if withList && para == 1 {
			for i := 1; i <= 3+g.r.IntN(3); i++ {
				fmt.Fprintf(&b, "%d. %s\n", i, g.sentence())
			}
			continue
		}
		for i := 0; i < 3+g.r.IntN(3); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g.sentence())
		}
		if pii && para == 1 {
			b.WriteByte(' ')
			b.WriteString(g.personalData())
			pii = false
		}
	}
	if pii {
		b.WriteString(" " + g.personalData())
	}
	b.WriteString("\n\n" + g.pick(closers))
	return b.String(), false, leaks
}

// personalData is a sentence that leaks an e-mail address, a phone number or an
// IP address, the kinds of findings the pii scorer reports.
func (g *textGen) personalData() string {
	first, last := g.pick(firstNames), g.pick(lastNames)
	exchange := 200 + g.r.IntN(700)
	if exchange%100 == 11 { // N11 codes are not exchanges
		exchange++
	}
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("You can write to %s.%s@%s for the full checklist.", first, last, g.pick(mailHosts))
	case 1:
		return fmt.Sprintf("Call %s %s at (%s) %03d-%04d if anything breaks.", capitalize(first), capitalize(last),
			g.pick(areaCodes), exchange, g.r.IntN(10000))
	default:
		return fmt.Sprintf("The old server at 10.%d.%d.%d still holds the original records.",
			g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
}
