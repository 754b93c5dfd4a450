package realdata

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
)

// AlpacaAnnotation is one row of an AlpacaEval annotations file: the baseline's
// output (Output1) and a model's (Output2) for one instruction, the judge's
// preference in [1, 2] (nil when null), and the judge's recorded reply.
type AlpacaAnnotation struct {
	Instruction string   `json:"instruction"`
	Output1     string   `json:"output_1"`
	Generator1  string   `json:"generator_1"`
	Output2     string   `json:"output_2"`
	Generator2  string   `json:"generator_2"`
	Preference  *float64 `json:"preference"`
	// RawCompletion is the judge's reply as recorded (message, finish_reason,
	// logprobs with top_logprobs), in the order the judge was shown the two
	// outputs; absent for rows the judge was not asked about.
	RawCompletion json.RawMessage `json:"raw_completion"`
}

// AlpacaAnnotations reads a gzipped AlpacaEval annotations file
// (<model>.annotations.json.gz).
func AlpacaAnnotations(path string) ([]AlpacaAnnotation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var rows []AlpacaAnnotation
	if err := json.NewDecoder(zr).Decode(&rows); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}
