package postgres

// SetMaxDeltaValues lowers the rollup delta's bound, so that a test can make an
// ingest fold its scores in early; the returned function restores it. Only a
// test that is not parallel may call it.
func SetMaxDeltaValues(n int) (restore func()) {
	old := maxDeltaValues
	maxDeltaValues = n
	return func() { maxDeltaValues = old }
}
