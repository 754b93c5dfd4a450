package realdata

import (
	"encoding/json"
	"io"
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
// (<model>.annotations.json.gz); the real-data checks and benchmarks read these
// files through it. A missing file is an error wrapping ErrNoData.
func AlpacaAnnotations(path string) ([]AlpacaAnnotation, error) {
	var rows []AlpacaAnnotation
	if err := readGzip(path, func(r io.Reader) error { return json.NewDecoder(r).Decode(&rows) }); err != nil {
		return nil, err
	}
	return rows, nil
}
