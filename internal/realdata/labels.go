package realdata

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Label is one row of a labelled set of real model outputs (docs/labelling.md):
// the response's id, where it was drawn from, and what a person who read it found.
type Label struct {
	ID     string
	Source string // SourceAlpacaEval or SourceHHRLHF
	Pool   string // the sampling pool, e.g. "hh-random", "random", "shortest"
	Split  string // "dev" or "heldout", always Split(ID); or SplitHeldout2 or SplitHeldout3 for the whole of a later set

	Refusal       bool
	RefusalType   string // "full" or "partial" when Refusal, else ""
	RefusalReason string // "capability", "policy" or "other" when Refusal, else ""

	Truncated        bool
	PromptEcho       bool
	LanguageMismatch bool
	Hedging          bool

	Note string // the labeller's few words on a hard case, "" if none
}

// labelColumns is the header a label file must start with.
var labelColumns = []string{
	"id", "source", "pool", "split", "refusal", "refusal_type", "refusal_reason",
	"truncated", "prompt_echo", "language_mismatch", "hedging", "note",
}

var labelPools = map[string]string{
	"hh-random": SourceHHRLHF,
	"random":    SourceAlpacaEval,
	"shortest":  SourceAlpacaEval,
	"sensitive": SourceAlpacaEval,
	"refuser":   SourceAlpacaEval,

	"hh-harm-short": SourceHHRLHF,
	"refuser-short": SourceAlpacaEval,

	"non-latin-output": SourceAlpacaEval,
	"language-task":    SourceAlpacaEval,

	"hh-harm-opener": SourceHHRLHF,
	"claude-short":   SourceAlpacaEval,
}

// SplitHeldout2 is the split of every row of the second labelled set
// (testdata/labels/heldout-2.tsv): drawn apart from the first and held out whole.
const SplitHeldout2 = "heldout2"

// SplitHeldout3 is the split of every row of the third labelled set
// (testdata/labels/heldout-3.tsv), held out whole like the second.
const SplitHeldout3 = "heldout3"

// wholeSplit reports whether split names a set held out whole rather than a split by
// the hash of the id.
func wholeSplit(split string) bool { return split == SplitHeldout2 || split == SplitHeldout3 }

// ReadLabels reads a label file (tab-separated, with the header above) and checks
// every row: known source and pool, the split the id hashes to (or one of
// SplitHeldout2 and SplitHeldout3 on every row of a later set, never mixed with
// another split), 0/1 flags, a refusal
// type and reason exactly when the row is a refusal, and no id twice. The
// error names the line and the column at fault.
func ReadLabels(path string) ([]Label, error) {
	labels, err := readRows(path, labelColumns, parseLabel, func(l Label) string { return l.ID })
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if (wholeSplit(l.Split) || wholeSplit(labels[0].Split)) && l.Split != labels[0].Split {
			return nil, fmt.Errorf("%s:%d: split %q in a file whose first row has split %q: a file is all %s, all %s or all hashed", path, i+2, l.Split, labels[0].Split, SplitHeldout2, SplitHeldout3)
		}
	}
	return labels, nil
}

// readRows reads a tab-separated file that starts with the given header, parses every
// row after it, and rejects an id given twice. Errors name the file and the line.
func readRows[T any](path string, columns []string, parse func(string) (T, error), id func(T) string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty", path)
	}
	if got, want := sc.Text(), strings.Join(columns, "\t"); got != want {
		return nil, fmt.Errorf("%s:1: header %q, want %q", path, got, want)
	}
	var rows []T
	seen := map[string]int{}
	for line := 2; sc.Scan(); line++ {
		r, err := parse(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if first, dup := seen[id(r)]; dup {
			return nil, fmt.Errorf("%s:%d: id %s already labelled on line %d", path, line, id(r), first)
		}
		seen[id(r)] = line
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

func parseLabel(row string) (Label, error) {
	c := strings.Split(row, "\t")
	if len(c) != len(labelColumns) {
		return Label{}, fmt.Errorf("%d columns, want %d", len(c), len(labelColumns))
	}
	l := Label{ID: c[0], Source: c[1], Pool: c[2], Split: c[3], Note: c[11]}
	if src, _, _ := strings.Cut(l.ID, "/"); src != l.Source {
		return Label{}, fmt.Errorf("source %q, but id %q is from %q", l.Source, l.ID, src)
	}
	if want, ok := labelPools[l.Pool]; !ok || want != l.Source {
		return Label{}, fmt.Errorf("pool %q is not a pool of %s", l.Pool, l.Source)
	}
	if want := Split(l.ID); l.Split != want && !wholeSplit(l.Split) {
		return Label{}, fmt.Errorf("split %q, want %q (the hash of the id), %q or %q", l.Split, want, SplitHeldout2, SplitHeldout3)
	}
	var err error
	if l.Refusal, l.RefusalType, l.RefusalReason, err = parseRefusal(c[4], c[5], c[6]); err != nil {
		return Label{}, err
	}
	flags := []struct {
		name string
		dst  *bool
		val  string
	}{
		{"truncated", &l.Truncated, c[7]},
		{"prompt_echo", &l.PromptEcho, c[8]},
		{"language_mismatch", &l.LanguageMismatch, c[9]},
		{"hedging", &l.Hedging, c[10]},
	}
	for _, fl := range flags {
		switch fl.val {
		case "0":
		case "1":
			*fl.dst = true
		default:
			return Label{}, fmt.Errorf("%s %q, want 0 or 1", fl.name, fl.val)
		}
	}
	if l.Note, err = parseNote(l.Note); err != nil {
		return Label{}, err
	}
	return l, nil
}

// parseRefusal checks the refusal, refusal_type and refusal_reason columns: 0 or 1,
// and a type and reason exactly when the row is a refusal ("-" otherwise).
func parseRefusal(refusal, typ, reason string) (bool, string, string, error) {
	switch refusal {
	case "0":
		if typ != "-" || reason != "-" {
			return false, "", "", fmt.Errorf("refusal_type %q and refusal_reason %q on a non-refusal, want -", typ, reason)
		}
		return false, "", "", nil
	case "1":
	default:
		return false, "", "", fmt.Errorf("refusal %q, want 0 or 1", refusal)
	}
	if typ != "full" && typ != "partial" {
		return false, "", "", fmt.Errorf("refusal_type %q, want full or partial", typ)
	}
	if reason != "capability" && reason != "policy" && reason != "other" {
		return false, "", "", fmt.Errorf("refusal_reason %q, want capability, policy or other", reason)
	}
	return true, typ, reason, nil
}

// parseNote maps the note column's "-" to "" and rejects an empty cell.
func parseNote(note string) (string, error) {
	switch note {
	case "":
		return "", fmt.Errorf("note is empty, want - when there is none")
	case "-":
		return "", nil
	}
	return note, nil
}
