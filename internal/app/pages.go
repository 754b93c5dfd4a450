package app

import (
	"encoding/json"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// listChunk is how many rows a list reads per query while it fills a page, so a
// page of long texts is cut short after reading about one chunk past its byte
// budget rather than after reading all its rows.
const listChunk = 100

// fetchPage reads a keyset page of up to limit items, listChunk rows at a time
// from fetch (which returns up to n items after the given id), and cuts it short
// once the items' size reaches maxBytes: a page always holds at least one item,
// and a page cut short, by rows or by bytes, carries the cursor to the rest.
func fetchPage[T any](limit, maxBytes int, list string, after *domain.ID, idOf func(T) domain.ID, size func(T) int,
	fetch func(after *domain.ID, n int) ([]T, error)) (domain.Page[T], error) {
	var page domain.Page[T]
	bytes := 0
	for {
		n := min(listChunk, limit+1-len(page.Items))
		got, err := fetch(after, n)
		if err != nil {
			return domain.Page[T]{}, err
		}
		for _, it := range got {
			sz := size(it)
			if len(page.Items) == limit || (len(page.Items) > 0 && bytes+sz > maxBytes) {
				page.Next = encodeCursor(list, "", idOf(page.Items[len(page.Items)-1]))
				return page, nil
			}
			page.Items = append(page.Items, it)
			bytes += sz
		}
		if len(got) < n {
			return page, nil
		}
		id := idOf(got[len(got)-1])
		after = &id
	}
}

// itemOverhead approximates what an item's ids, names and punctuation add to its
// texts in a reply.
const itemOverhead = 256

func jsonSize(v any) int {
	if v == nil {
		return 0
	}
	b, _ := json.Marshal(v)
	return len(b)
}

// responseSize approximates a response's size in a reply.
func responseSize(r domain.Response) int {
	n := itemOverhead + len(r.Prompt) + len(r.Text) + len(r.ExternalID) + len(r.PromptID) + len(r.Model) + jsonSize(r.Metadata)
	if r.Reference != nil {
		n += len(*r.Reference)
	}
	for _, m := range r.Context {
		n += len(m.Role) + len(m.Content) + 32
	}
	for _, s := range r.Scores {
		n += len(s.Scorer) + len(s.Error) + jsonSize(s.Details) + 64
	}
	return n
}

// comparisonSize approximates a comparison's size in a reply.
func comparisonSize(c domain.Comparison) int {
	return itemOverhead + len(c.ExternalID) + len(c.ModelA) + len(c.ModelB) + len(c.PromptID) + len(c.Annotator) +
		len(c.Rationale) + jsonSize(c.Metadata)
}

// judgmentSize approximates a judgment's size in a reply: its messages, its reply
// and the reply's logprobs.
func judgmentSize(j domain.Judgment) int {
	n := itemOverhead + len(j.Content) + len(j.Raw) + len(j.ParseError) + 64*len(j.Logprobs)
	for _, m := range j.Messages {
		n += len(m.Content) + 32
	}
	return n
}
