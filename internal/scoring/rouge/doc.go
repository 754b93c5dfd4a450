// Package rouge implements the rouge scorer: ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as
// Google's rouge-score 0.1.2 (the Python package behind most published ROUGE numbers)
// computes them, including its tokenizer and, through package porter, NLTK's Porter
// stemmer. A Unicode tokenizer is offered for text that is not English, which the
// reference tokenizer reduces to nothing.
package rouge
