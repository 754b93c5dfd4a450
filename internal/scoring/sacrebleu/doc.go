// Package sacrebleu implements the bleu and chrf scorers as exact ports of sacrebleu 2.x
// (github.com/mjpost/sacrebleu): its tokenizers (13a, intl, char, none), sentence and
// corpus BLEU with every smoothing method, and chrF / chrF++ with both of its smoothing
// modes.
//
// Each scorer records its sufficient statistics in the result details, and sacrebleu's
// corpus scores are functions of the summed statistics, so CorpusBLEU and CorpusCHRF
// turn per-response statistics (read back from storage) into the exact corpus score
// sacrebleu's corpus_bleu and corpus_chrf would report for the same segments.
//
// Python semantics are reproduced where they decide a score: whitespace is what
// Python's str.split() splits on, lowercasing is str.lower() (with its final-sigma and
// dotted-capital-I rules), n-grams are over Unicode code points, and the BLEU log sum is
// added the way CPython 3.12+ sums floats. Invalid UTF-8 is read one U+FFFD per bad
// byte before scoring. Character properties (punctuation, symbols, numbers, case) come
// from Go's Unicode tables; sacrebleu takes them from Python and the regex module, which
// may know characters assigned in later Unicode versions than Go does.
package sacrebleu
