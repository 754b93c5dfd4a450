// Package assertion holds the promptfoo-style assertion scorers (contains, regex,
// equals, starts_with, json) and the length scorer: cheap checks whose params decide
// what passes.
//
// An assertion reports Passed and a Value of 1 (passed) or 0 (failed), so a higher
// mean is better and the mean over items is the pass rate. Everything an assertion
// needs from its params (a compiled pattern, a compiled JSON Schema, folded strings)
// is prepared when the configuration is made: bad params are validation errors
// naming the param, never scoring-time failures. Text echoed in details is cut to
// 200 code points, with invalid UTF-8 and NUL replaced by U+FFFD.
package assertion
