package httpapi

// Fakes of the judge services for tests that build the server without a database;
// calling them fails the test by panicking, like the other fakes.
type (
	fakeJudges    struct{ JudgeService }
	fakeJudgeRuns struct{ JudgeRunService }
	fakeJudgments struct{ JudgmentService }
)
