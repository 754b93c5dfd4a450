// Package stats computes the statistics behind score summaries and regression diffs:
// descriptive summaries, confidence intervals of a mean, and the paired tests that decide
// whether a candidate evaluation is significantly worse than a baseline.
//
// Everything is written against the standard library only. The distribution functions
// (regularized incomplete beta, Student t, standard normal, binomial) aim at a relative
// error near 1e-13 or better; the tests reproduce scipy 1.10.1 and statsmodels 0.13.5,
// whose exact conventions are spelled out on each function.
//
// Result types are plain structs of float64 and int fields. A quantity that is undefined
// for the given data (a standard deviation of one value, a p-value with nothing to test)
// is a nil pointer, never NaN or an infinity, so results can be stored and serialised
// as they are. The distribution functions themselves follow package math instead: NaN
// for arguments outside their domain and ±Inf for the quantile of 0 or 1.
package stats
