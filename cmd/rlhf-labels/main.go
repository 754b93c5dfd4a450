// Command rlhf-labels draws the fixed sample of real model outputs behind the labelled
// sets in testdata/labels and prints the outputs for a person to read and label.
//
//	rlhf-labels sample [-data DIR]                  print the sample as id, source, pool, split (TSV)
//	rlhf-labels sample -round 2 [-data DIR] [-exclude FILE]  print the second, held-out set
//	rlhf-labels sample -round 3 [-data DIR] [-exclude FILE,FILE]  print the third, held-out set
//	rlhf-labels show [-data DIR] [-from N] [-n N] FILE   print the items of a TSV whose first column is an id
//	rlhf-labels show [-data DIR] ID...              print the named items
//
// The sample depends only on the data and a fixed seed; docs/labelling.md describes
// its pools. The data folder is read in place and nothing from it is written out
// except by show, to the terminal.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rlhf-labels:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "sample" && args[0] != "show") {
		return errors.New("want a command: sample or show")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dataDir := fs.String("data", "../shared/data", "folder holding alpaca_eval/ and hh-rlhf/")
	from := fs.Int("from", 0, "show: first item (0-based) of the TSV to print")
	n := fs.Int("n", 50, "show: how many items of the TSV to print")
	round := fs.Int("round", 1, "sample: 1 for the first set, 2 or 3 for the second or third (held-out) set")
	exclude := fs.String("exclude", "", "sample -round 2 or 3: comma-separated label files whose ids are left out (default: the first set's file for round 2, the first two sets' for round 3)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "show" && fs.NArg() == 0 {
		return errors.New("show: want a label TSV or one or more ids")
	}
	if *round < 1 || *round > 3 {
		return fmt.Errorf("-round %d, want 1, 2 or 3", *round)
	}
	if *exclude == "" {
		*exclude = defaultExclude[*round]
	}
	corpus, err := realdata.OpenCorpus(*dataDir)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	if args[0] == "sample" {
		return sample(w, corpus, *round, *exclude)
	}
	ids := fs.Args()
	if len(ids) == 1 && !strings.Contains(ids[0], ":") {
		if ids, err = idsFromTSV(ids[0], *from, *n); err != nil {
			return err
		}
	}
	for _, id := range ids {
		r, err := corpus.Resolve(id)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "=== %s  [%s]\n--- prompt:\n%s\n--- response (%d chars):\n%s\n\n",
			r.ID, r.Generator, excerpt(r.Prompt, 150, 450), len(r.Text), excerpt(r.Text, 700, 300))
	}
	return nil
}

// sample prints the set of the given round, with each item's split.
func sample(w io.Writer, corpus *realdata.Corpus, round int, exclude string) error {
	var items []item
	split := realdata.Split
	if round == 1 {
		items = draw(corpus)
	} else {
		ids := map[string]bool{}
		for _, path := range strings.Split(exclude, ",") {
			labels, err := realdata.ReadLabels(path)
			if err != nil {
				return fmt.Errorf("-exclude: %w", err)
			}
			maps.Copy(ids, labelIDs(labels))
		}
		if round == 2 {
			items = draw2(corpus, ids)
			split = func(string) string { return realdata.SplitHeldout2 }
		} else {
			items = draw3(corpus, ids)
			split = func(string) string { return realdata.SplitHeldout3 }
		}
	}
	fmt.Fprintln(w, "id\tsource\tpool\tsplit")
	for _, it := range items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", it.id, it.source, it.pool, split(it.id))
	}
	return nil
}

// defaultExclude is, per round, the label files whose ids that round leaves out.
var defaultExclude = map[int]string{
	2: "testdata/labels/refusal-and-failures.tsv",
	3: "testdata/labels/refusal-and-failures.tsv,testdata/labels/heldout-2.tsv",
}

func labelIDs(labels []realdata.Label) map[string]bool {
	ids := make(map[string]bool, len(labels))
	for _, l := range labels {
		ids[l.ID] = true
	}
	return ids
}

// idsFromTSV reads the first column of rows [from, from+n) of a TSV with a header.
func idsFromTSV(path string, from, n int) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")[1:]
	if from < 0 || from >= len(lines) {
		return nil, fmt.Errorf("-from %d outside [0, %d)", from, len(lines))
	}
	lines = lines[from:min(from+n, len(lines))]
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i], _, _ = strings.Cut(l, "\t")
	}
	return ids, nil
}

// excerpt keeps the first head and last tail runes of a long text, marking the cut.
func excerpt(s string, head, tail int) string {
	if utf8.RuneCountInString(s) <= head+tail+50 {
		return s
	}
	r := []rune(s)
	return fmt.Sprintf("%s\n[... %d chars cut ...]\n%s", string(r[:head]), len(r)-head-tail, string(r[len(r)-tail:]))
}
