"""The Python baseline of BenchmarkAgainstSacrebleu: sacrebleu's own sentence scores.

Usage: python3 sacrebleu_baseline.py METRIC PAIRS

METRIC is bleu (sentence BLEU: 13a, exp smoothing, effective order), chrf (chrF2) or
chrf++ (chrF2++, word order 2). PAIRS is a JSON Lines file of {"hyp": ..., "ref": ...}.
Each metric object is built once, as a caller scoring many segments would, and every
pair is scored with sentence_score(hyp, [ref]). Only the scoring loop is timed, in CPU
seconds of this process (time.process_time): reading the pairs and importing sacrebleu
are not. Prints one JSON object: the sacrebleu and Python versions, the CPU seconds,
the scores in input order (repr precision, so they compare exactly) and, for BLEU, each
pair's statistics (sys_len, ref_len, the four counts, the four totals).
"""

import json
import sys
import time

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF


def main() -> None:
    metric_name, path = sys.argv[1], sys.argv[2]
    metric = {
        "bleu": lambda: BLEU(effective_order=True),
        "chrf": lambda: CHRF(),
        "chrf++": lambda: CHRF(word_order=2),
    }[metric_name]()
    with open(path, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f]
    results = []
    start = time.process_time()
    for p in pairs:
        results.append(metric.sentence_score(p["hyp"], [p["ref"]]))
    cpu = time.process_time() - start
    out = {
        "version": sacrebleu.__version__,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "cpu_seconds": cpu,
        "scores": [r.score for r in results],
    }
    if metric_name == "bleu":
        out["stats"] = [[r.sys_len, r.ref_len, *r.counts, *r.totals] for r in results]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
