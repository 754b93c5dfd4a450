"""Tests against a real rlhf-eval server.

They need RLHF_URL and RLHF_API_KEY (an admin key) in the environment; the Go test
cmd/rlhf-eval/python_test.go starts a server with a fresh database and runs them.
"""

import http.server
import json
import os
import threading
import time
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

    def test_judge_run_as_a_job(self):
        """A pairwise judge over a fake OpenAI-compatible endpoint, run and awaited as a job."""
        calls = []

        class FakeOpenAI(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path, self.headers.get("Authorization"), body))
                reply = json.dumps({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                    "system_fingerprint": "fp_test",
                    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                 "message": {"role": "assistant", "content": "B is more complete. [[B]]"}}],
                    "usage": {"prompt_tokens": 50, "completion_tokens": 6, "total_tokens": 56},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
        threading.Thread(target=fake.serve_forever, daemon=True).start()
        self.addCleanup(fake.server_close)
        self.addCleanup(fake.shutdown)

        name = unique("judged")
        self.c.create_evaluation(name)
        self.c.post_responses(name, [
            {"external_id": f"{m}{q}", "model": m, "prompt": f"question {q}", "response": f"{m} answer {q}"}
            for q in range(5) for m in ("base", "cand")
        ])
        judge = unique("pyjudge")
        created = self.c.create_judge({
            "name": judge, "kind": "pairwise", "order": "fixed", "parser": {"type": "verdict"},
            "endpoint": {"base_url": f"http://127.0.0.1:{fake.server_port}/v1", "model": "fake-judge",
                         "api_key_env": "PY_JUDGE_KEY"},
        })
        self.assertEqual(created["version"], 1)
        self.assertEqual(self.c.get_judge(judge)["name"], judge)
        self.assertIn(judge, [j["name"] for j in self.c.judges()])

        job = self.c.start_judge_run(name, judge, baseline="base")
        self.assertIn(job["status"], ("queued", "running", "succeeded"))
        seen = []
        done = self.c.wait_job(job["id"], poll=0.1, timeout=60, progress=seen.append)
        self.assertEqual((done["status"], done["total"], done["done"]), ("succeeded", 5, 5))
        self.assertTrue(seen)
        self.assertIn(job["id"], [j["id"] for j in self.c.jobs(evaluation=name)])
        self.assertEqual(len(calls), 5)
        self.assertTrue(all(auth == "Bearer sk-python-judge" for _, auth, _ in calls))
        verdicts = list(self.c.comparisons(name, annotator=judge))
        self.assertEqual(len(verdicts), 5)
        self.assertTrue(all(v["preference"] == 1.0 and v["annotator_kind"] == "model" for v in verdicts))
        wr = self.c.leaderboard(name, method="winrate", baseline="base", annotator_kind="model")
        cand = [r for r in wr["ratings"] if r["model"] == "cand"][0]
        self.assertGreater(cand["rating"], 0.5)  # a share from 0 to 1
        with self.assertRaises(rlhf_eval.ValidationError) as cm:
            self.c.start_judge_run(name, judge, baseline="nobody")
        self.assertIn("baseline", cm.exception.field_errors())


if __name__ == "__main__":
    unittest.main()
