"""Tests against a real rlhf-eval server.

They need RLHF_URL and RLHF_API_KEY (an admin key) in the environment; the Go test
cmd/rlhf-eval/python_test.go starts a server with a fresh database and runs them.
"""

import os
import unittest
import uuid

import rlhf_eval
from rlhf_eval import Client, log_generations

URL = os.environ.get("RLHF_URL")
KEY = os.environ.get("RLHF_API_KEY")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@unittest.skipUnless(URL and KEY, "RLHF_URL and RLHF_API_KEY name the server to test against")
class ServerTest(unittest.TestCase):
    def setUp(self):
        self.c = Client(URL, KEY, max_retries=2, backoff=0.05)

    def test_health(self):
        self.assertTrue(self.c.health())

    def test_bulk_post_in_chunks_is_idempotent(self):
        name = unique("bulk")
        self.c.create_evaluation(name, scorers=[{"type": "length"}, {"type": "refusal"}])
        items = [
            {"external_id": f"r{i}", "model": "m1" if i % 2 else "m2", "prompt": f"prompt {i // 2}",
             "response": "I'm sorry, I can't help with that." if i % 7 == 0 else f"Answer number {i}."}
            for i in range(2500)
        ]
        seen = []
        res = self.c.post_responses(name, items, chunk_size=1000, key_prefix=name, progress=seen.append)
        self.assertEqual(res["created"], 2500)
        self.assertEqual(res["existing"], 0)
        self.assertEqual(len(res["items"]), 2500)
        self.assertEqual(seen, [1000, 2000, 2500])
        # The same upload again, under the same keys: replayed, nothing new stored.
        self.c.post_responses(name, items, chunk_size=1000, key_prefix=name)
        # Under new keys: the external ids make every item "existing".
        again = self.c.post_responses(name, items, chunk_size=1000, minimal=True)
        self.assertEqual((again["created"], again["existing"]), (0, 2500))
        self.assertEqual(again["items"], [])
        ids = [r["id"] for r in self.c.responses(name, limit=300)]
        self.assertEqual(len(ids), 2500)
        self.assertEqual(len(set(ids)), 2500)
        m1 = list(self.c.responses(name, model="m1", limit=1000))
        self.assertEqual(len(m1), 1250)
        self.assertTrue(all(r["model"] == "m1" for r in m1))
        one = self.c.get_response(name, "r7")
        self.assertEqual(one["external_id"], "r7")
        self.assertEqual(one["scores"]["refusal"]["value"], 1.0)
        self.assertEqual(self.c.get_response(name, "r8")["scores"]["refusal"]["value"], 0.0)
        summary = self.c.summary(name)
        self.assertIn("length", str(summary))

    def test_errors_carry_the_problem(self):
        with self.assertRaises(rlhf_eval.ValidationError) as cm:
            self.c.create_evaluation("Not A Slug!")
        e = cm.exception
        self.assertEqual(e.status, 400)
        self.assertIn("name", e.field_errors())
        self.assertTrue(e.request_id)
        with self.assertRaises(rlhf_eval.NotFound):
            self.c.get_evaluation(unique("missing"))
        with self.assertRaises(rlhf_eval.AuthenticationError):
            Client(URL, "rlhf_wrong", max_retries=0).get_evaluation("x")
        name = unique("dup")
        self.c.create_evaluation(name)
        with self.assertRaises(rlhf_eval.Conflict):
            self.c.create_evaluation(name)
        # A batch with one bad item stores nothing.
        with self.assertRaises(rlhf_eval.ValidationError) as cm:
            self.c.post_responses(name, [{"model": "m", "prompt": "p", "response": "ok"}, {"model": "m", "prompt": "p"}])
        self.assertIn("[1].response", cm.exception.field_errors())
        self.assertEqual(list(self.c.responses(name)), [])

    def test_names_with_reserved_characters(self):
        name = unique("esc")
        self.c.create_evaluation(name)
        ext = "a/b?c#d%41 e"
        self.c.post_responses(name, [{"external_id": ext, "model": "m", "prompt": "p", "response": "r"}])
        self.assertEqual(self.c.get_response(name, ext)["external_id"], ext)

    def test_preferences_leaderboard_and_export(self):
        name = unique("arena")
        self.c.create_evaluation(name)
        rs = []
        for q in range(20):
            for m in ("a", "b"):
                rs.append({"external_id": f"{m}{q}", "model": m, "prompt": f"question {q}",
                           "context": [{"role": "user", "content": "earlier turn"}, {"role": "assistant", "content": "ok"}],
                           "response": f"{m} answers {q}"})
        self.c.post_responses(name, rs)
        cs = [{"response_a": f"a{q}", "response_b": f"b{q}", "winner": "b" if q % 4 else "a", "annotator": "alice"}
              for q in range(20)]
        res = self.c.post_comparisons(name, cs)
        self.assertEqual(res["created"], 20)
        self.assertEqual(len(list(self.c.comparisons(name, annotator="alice", limit=7))), 20)
        lb = self.c.leaderboard(name, method="bt", bootstrap=20, seed=1)
        self.assertIn("b", str(lb))
        wr = self.c.leaderboard(name, method="winrate", baseline="a")
        self.assertIn("a", str(wr))
        pairs = list(self.c.export(name, format="dpo"))
        self.assertEqual(len(pairs), 20)
        for p in pairs:
            self.assertIn("chosen", p)
            self.assertIn("rejected", p)

    def test_log_generations_stores_each_step_once(self):
        name = unique("train")
        prompts = [f"What is {i} + {i}?" for i in range(30)]
        gens = [str(2 * i) for i in range(30)]
        r1 = log_generations(self.c, name, step=100, prompts=prompts, generations=gens, run="ppo",
                             scorers=[{"type": "length"}])
        self.assertEqual(r1["created"], 30)
        r2 = log_generations(self.c, name, step=100, prompts=prompts, generations=gens, run="ppo")
        self.assertEqual(r2["created"] + r2["existing"], 30)
        log_generations(self.c, name, step=200, prompts=prompts, generations=gens, run="ppo")
        rs = list(self.c.responses(name, limit=1000))
        self.assertEqual(len(rs), 60)
        self.assertEqual({r["model"] for r in rs}, {"ppo@step100", "ppo@step200"})
        self.assertEqual({r["metadata"]["step"] for r in rs}, {100, 200})
        with self.assertRaises(ValueError):
            log_generations(self.c, name, step=1, prompts=["a"], generations=[])

    def test_keys(self):
        name = unique("visible")
        self.c.create_evaluation(name)
        k = self.c.create_key(unique("reader"), scopes=["read"])
        reader = Client(URL, k["key"])
        self.assertIn(name, [e["name"] for e in reader.evaluations(limit=5)])
        with self.assertRaises(rlhf_eval.PermissionDenied):
            reader.create_evaluation(unique("nope"))
        self.c.revoke_key(k["id"])
        with self.assertRaises(rlhf_eval.AuthenticationError):
            Client(URL, k["key"], max_retries=0).get_evaluation("x")


if __name__ == "__main__":
    unittest.main()
