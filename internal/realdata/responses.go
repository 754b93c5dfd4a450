package realdata

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Sources of the labelled responses, as they appear in ids and in the label file.
const (
	SourceAlpacaEval = "alpaca_eval"
	SourceHHRLHF     = "hh-rlhf"
)

// HHFile is the one HH-RLHF file the labelled sets draw from.
const HHFile = "harmless-base-test.jsonl.gz"

// Response is one model output with the prompt it answered.
//
// Its ID names where it lives in the data folder:
//
//	alpaca_eval/<file>:<row>:output_1|output_2   row: 0-based index in the file's JSON list
//	hh-rlhf/harmless-base-test.jsonl.gz:<line>:chosen|rejected   line: 1-based line number
//
// For AlpacaEval the prompt is the instruction. For HH-RLHF the response is the final
// Assistant turn of the dialogue and the prompt is the dialogue before it.
type Response struct {
	ID        string
	Source    string
	Generator string // the AlpacaEval model; "" for HH-RLHF
	Prompt    string
	Text      string
}

// Split assigns an id to the development ("dev") or held-out ("heldout") part of a
// labelled set: about 60% dev, fixed by a hash of the id so that it never depends on
// the labels or on the order of the sample.
func Split(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	if h.Sum32()%100 < 60 {
		return "dev"
	}
	return "heldout"
}

type alpacaRow struct {
	Instruction string `json:"instruction"`
	Output1     string `json:"output_1"`
	Generator1  string `json:"generator_1"`
	Output2     string `json:"output_2"`
	Generator2  string `json:"generator_2"`
}

// HHPair is one line of an HH-RLHF file: the chosen and the rejected dialogue.
type HHPair struct {
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

// HHPairs reads a gzipped HH-RLHF JSONL file, one pair per line: out[i] is line
// i+1. A missing file is an error wrapping ErrNoData.
func HHPairs(path string) ([]HHPair, error) {
	var out []HHPair
	err := readGzip(path, func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		for sc.Scan() {
			var p HHPair
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				return fmt.Errorf("line %d: %w", len(out)+1, err)
			}
			out = append(out, p)
		}
		return sc.Err()
	})
	return out, err
}

// AlpacaAnnotationFiles returns the paths of the AlpacaEval annotation files in
// dir (*.annotations.json.gz), sorted. None is an error wrapping ErrNoData.
func AlpacaAnnotationFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.annotations.json.gz"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no AlpacaEval annotation files: %w", dir, ErrNoData)
	}
	sort.Strings(files)
	return files, nil
}

// Corpus is the real data folder read into memory: every AlpacaEval annotation file
// and the HH-RLHF harmless-base test file.
type Corpus struct {
	alpaca map[string][]alpacaRow // by file name
	hh     []HHPair               // hh[i] is line i+1
}

// ErrNoData reports that the data folder, or a file the corpus needs, is absent.
var ErrNoData = errors.New("real data absent")

// OpenCorpus reads dir/alpaca_eval/*.annotations.json.gz and dir/hh-rlhf/HHFile.
// When either is missing the error wraps ErrNoData.
func OpenCorpus(dir string) (*Corpus, error) {
	files, err := AlpacaAnnotationFiles(filepath.Join(dir, SourceAlpacaEval))
	if err != nil {
		return nil, err
	}
	c := &Corpus{alpaca: make(map[string][]alpacaRow, len(files))}
	for _, path := range files {
		var rows []alpacaRow
		if err := readGzip(path, func(r io.Reader) error { return json.NewDecoder(r).Decode(&rows) }); err != nil {
			return nil, err
		}
		c.alpaca[filepath.Base(path)] = rows
	}
	if c.hh, err = HHPairs(filepath.Join(dir, SourceHHRLHF, HHFile)); err != nil {
		return nil, err
	}
	return c, nil
}

func readGzip(path string, decode func(io.Reader) error) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, ErrNoData)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := decode(zr); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// AlpacaFiles returns the AlpacaEval file names, sorted.
func (c *Corpus) AlpacaFiles() []string {
	names := make([]string, 0, len(c.alpaca))
	for name := range c.alpaca {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// AlpacaRows returns how many rows an AlpacaEval file holds (0 when it is unknown).
func (c *Corpus) AlpacaRows(file string) int { return len(c.alpaca[file]) }

// HHLines returns how many lines the HH-RLHF file holds.
func (c *Corpus) HHLines() int { return len(c.hh) }

// AlpacaID and HHID build the ids Resolve reads.
func AlpacaID(file string, row int, field string) string {
	return fmt.Sprintf("%s/%s:%d:%s", SourceAlpacaEval, file, row, field)
}

// HHID builds the id of a final Assistant turn; line is 1-based.
func HHID(line int, field string) string {
	return fmt.Sprintf("%s/%s:%d:%s", SourceHHRLHF, HHFile, line, field)
}

// Resolve returns the response an id names, or an error saying which part of the
// id does not match the data.
func (c *Corpus) Resolve(id string) (Response, error) {
	source, rest, ok := strings.Cut(id, "/")
	parts := strings.Split(rest, ":")
	if !ok || len(parts) != 3 {
		return Response{}, fmt.Errorf("id %q: want <source>/<file>:<index>:<field>", id)
	}
	file, field := parts[0], parts[2]
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return Response{}, fmt.Errorf("id %q: index %q is not a number", id, parts[1])
	}
	switch source {
	case SourceAlpacaEval:
		rows, ok := c.alpaca[file]
		if !ok {
			return Response{}, fmt.Errorf("id %q: no AlpacaEval file %q", id, file)
		}
		if n < 0 || n >= len(rows) {
			return Response{}, fmt.Errorf("id %q: row %d outside [0, %d)", id, n, len(rows))
		}
		r := rows[n]
		resp := Response{ID: id, Source: source, Prompt: r.Instruction}
		switch field {
		case "output_1":
			resp.Text, resp.Generator = r.Output1, r.Generator1
		case "output_2":
			resp.Text, resp.Generator = r.Output2, r.Generator2
		default:
			return Response{}, fmt.Errorf("id %q: field %q is not output_1 or output_2", id, field)
		}
		return resp, nil
	case SourceHHRLHF:
		if file != HHFile {
			return Response{}, fmt.Errorf("id %q: HH-RLHF file %q, want %q", id, file, HHFile)
		}
		if n < 1 || n > len(c.hh) {
			return Response{}, fmt.Errorf("id %q: line %d outside [1, %d]", id, n, len(c.hh))
		}
		var dialogue string
		switch field {
		case "chosen":
			dialogue = c.hh[n-1].Chosen
		case "rejected":
			dialogue = c.hh[n-1].Rejected
		default:
			return Response{}, fmt.Errorf("id %q: field %q is not chosen or rejected", id, field)
		}
		prompt, text := FinalTurn(dialogue)
		return Response{ID: id, Source: source, Prompt: prompt, Text: text}, nil
	default:
		return Response{}, fmt.Errorf("id %q: source %q is not %s or %s", id, source, SourceAlpacaEval, SourceHHRLHF)
	}
}

// FinalTurn splits an HH-RLHF dialogue at its last "\n\nAssistant:" marker into the
// dialogue before it and the final Assistant turn (trimmed). A dialogue without the
// marker is all prompt.
func FinalTurn(dialogue string) (prompt, turn string) {
	const marker = "\n\nAssistant:"
	i := strings.LastIndex(dialogue, marker)
	if i < 0 {
		return dialogue, ""
	}
	return dialogue[:i], strings.TrimSpace(dialogue[i+len(marker):])
}
