package view

// ScorerDiff is the wire form of a scorer diff, shared by the API and the CLI so
// both print the same fields.
type ScorerDiff struct {
	Scorer            string   `json:"scorer"`
	Type              *string  `json:"type"`
	Better            string   `json:"better"`
	NPairs            int      `json:"n_pairs"`
	BaseOnly          int      `json:"base_only"`
	CandidateOnly     int      `json:"candidate_only"`
	BaseMean          *float64 `json:"base_mean"`
	CandidateMean     *float64 `json:"candidate_mean"`
	MeanDiff          *float64 `json:"mean_diff"`
	MeanDiffCILow     *float64 `json:"mean_diff_ci_low"`
	MeanDiffCIHigh    *float64 `json:"mean_diff_ci_high"`
	MeanDiffCIMethod  *string  `json:"mean_diff_ci_method"`
	WilcoxonP         *float64 `json:"wilcoxon_p"`
	TTestP            *float64 `json:"ttest_p"`
	Wins              *int     `json:"wins"`
	Ties              *int     `json:"ties"`
	Losses            *int     `json:"losses"`
	PassPairs         int      `json:"pass_pairs"`
	BasePassRate      *float64 `json:"base_pass_rate"`
	CandidatePassRate *float64 `json:"candidate_pass_rate"`
	PassRateChange    *float64 `json:"pass_rate_change"`
	McNemarP          *float64 `json:"mcnemar_p"`
	McNemarB          int      `json:"mcnemar_base_only_passed"`
	McNemarC          int      `json:"mcnemar_candidate_only_passed"`
	Test              *string  `json:"test"`
	P                 *float64 `json:"p"`
	Significant       bool     `json:"significant"`
	Regression        bool     `json:"regression"`
	Improvement       bool     `json:"improvement"`
}

// Diff is the wire form of a diff report.
type Diff struct {
	Base            EvaluationRef `json:"base"`
	Candidate       EvaluationRef `json:"candidate"`
	Alpha           float64       `json:"alpha"`
	ConfidenceLevel float64       `json:"confidence_level"`
	BootstrapRounds int           `json:"bootstrap_rounds"`
	// BootstrapRoundsLimited: no number of rounds was asked for, and the default
	// was more than the draw limit allows over these pairs.
	BootstrapRoundsLimited bool         `json:"bootstrap_rounds_limited"`
	Seed                   uint64       `json:"seed"`
	Regressed              bool         `json:"regressed"`
	Regressions            []string     `json:"regressions"`
	Scorers                []ScorerDiff `json:"scorers"`
}
