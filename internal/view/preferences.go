package view

// Rating is one model's line in a leaderboard, in the shape the API and CLI print.
type Rating struct {
	Model    string  `json:"model"`
	Rating   float64 `json:"rating"`
	CILow    float64 `json:"ci_low"`
	CIHigh   float64 `json:"ci_high"`
	Rank     int     `json:"rank"`
	RankLow  int     `json:"rank_low"`
	RankHigh int     `json:"rank_high"`
	// CIMethod names how CILow and CIHigh were found: bootstrap_percentile (bt,
	// elo), logit (winrate; Wilson when the win rate is 0 or 1), or none.
	CIMethod string `json:"ci_method"`
	Battles  int    `json:"battles"`
	// WinRate is a share from 0 to 1, as every rate in the API.
	WinRate       *float64 `json:"win_rate"`
	Flags         []string `json:"flags,omitempty"`
	StandardError *float64 `json:"standard_error,omitempty"`
	Wins          *int     `json:"wins,omitempty"`
	Ties          *int     `json:"ties,omitempty"`
	Losses        *int     `json:"losses,omitempty"`
}

// Leaderboard is a leaderboard in the shape the API and CLI print.
type Leaderboard struct {
	Evaluation      *EvaluationRef `json:"evaluation,omitempty"`
	Method          string         `json:"method"`
	Baseline        *string        `json:"baseline,omitempty"`
	AnnotatorKind   *string        `json:"annotator_kind,omitempty"`
	Comparisons     int            `json:"comparisons"`
	Skipped         int            `json:"skipped"`
	SelfComparisons int            `json:"self_comparisons"`
	BootstrapRounds int            `json:"bootstrap_rounds"`
	Seed            uint64         `json:"seed"`
	MLEExists       *bool          `json:"mle_exists,omitempty"`
	Warnings        []string       `json:"warnings"`
	Ratings         []Rating       `json:"ratings"`
}

// Agreement is inter-annotator agreement in the shape the API and CLI print.
type Agreement struct {
	Evaluation        *EvaluationRef `json:"evaluation,omitempty"`
	AnnotatorKind     *string        `json:"annotator_kind,omitempty"`
	Items             int            `json:"items"`
	Annotators        int            `json:"annotators"`
	Labels            int            `json:"labels"`
	Categories        []string       `json:"categories"`
	PercentAgreement  *float64       `json:"percent_agreement"`
	CohenKappa        []Cohen        `json:"cohen_kappa"`
	FleissKappa       *float64       `json:"fleiss_kappa"`
	FleissRaters      int            `json:"fleiss_raters"`
	FleissItems       int            `json:"fleiss_items"`
	FleissExcluded    int            `json:"fleiss_excluded"`
	KrippendorffAlpha *float64       `json:"krippendorff_alpha"`
}

// Cohen is Cohen's kappa of one pair of annotators.
type Cohen struct {
	A         string   `json:"a"`
	B         string   `json:"b"`
	Kappa     *float64 `json:"kappa"`
	N         int      `json:"n"`
	Agreement float64  `json:"agreement"`
}

// ScorerAgreement is one scorer's agreement with the preferences.
type ScorerAgreement struct {
	Scorer      string   `json:"scorer"`
	Type        *string  `json:"type"`
	Better      string   `json:"better"`
	Accuracy    *float64 `json:"accuracy"`
	CILow       *float64 `json:"ci_low"`
	CIHigh      *float64 `json:"ci_high"`
	Correct     int      `json:"correct"`
	N           int      `json:"n"`
	EqualScores int      `json:"equal_scores"`
	Ties        int      `json:"ties"`
	// PreferredHigher is the share of judged comparisons where the preferred response
	// scored strictly higher, whatever the scorer's direction.
	PreferredHigher *float64 `json:"preferred_higher"`
}

// ScorerAgreementReport lists every scorer's agreement with the preferences.
type ScorerAgreementReport struct {
	Evaluation    EvaluationRef     `json:"evaluation"`
	AnnotatorKind *string           `json:"annotator_kind,omitempty"`
	Scorers       []ScorerAgreement `json:"scorers"`
}
