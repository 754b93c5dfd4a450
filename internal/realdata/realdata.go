// Package realdata reads the published reference files that the real-data checks
// compare against. The files themselves are licensed third-party data kept outside
// the repository; the checks take their location as a flag.
package realdata

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// AlpacaLeaderboard reads AlpacaEval's leaderboard.csv and maps each results folder
// named in its samples column (".../results/<folder>/...", which is also the stem of
// the folder's annotation file) to its published win_rate. Rows without a results
// folder are left out.
func AlpacaLeaderboard(path string) (map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	winCol, okW := col["win_rate"]
	samplesCol, okS := col["samples"]
	if !okW || !okS {
		return nil, fmt.Errorf("%s: header %v lacks win_rate or samples", path, records[0])
	}
	out := make(map[string]float64)
	for _, rec := range records[1:] {
		_, rest, ok := strings.Cut(rec[samplesCol], "/results/")
		if !ok {
			continue
		}
		folder, _, _ := strings.Cut(rest, "/")
		w, err := strconv.ParseFloat(rec[winCol], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: win_rate %q: %w", path, rec[winCol], err)
		}
		out[folder] = w
	}
	return out, nil
}
