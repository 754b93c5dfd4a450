"""Tests of the client's retry and streaming rules against a scripted local server.

These check behaviour the real server shows only under faults (a busy database, a
dropped connection mid-export); the happy paths run against the real server in
test_server.py.
"""

import http.server
import json
import threading
import unittest

import rlhf_eval
from rlhf_eval import Client


class Script(http.server.BaseHTTPRequestHandler):
    """Answers each request with the next scripted reply and records the request."""

    protocol_version = "HTTP/1.1"
    replies = []
    seen = []

    def log_message(self, *args):
        pass

    def _serve(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        reply = type(self).replies.pop(0)
        reply(self)

    do_GET = do_POST = do_DELETE = do_PATCH = _serve


def problem(status, detail, headers=None):
    def reply(h):
        body = json.dumps({"type": "urn:rlhf-eval:problem:x", "title": "T", "status": status,
                           "detail": detail, "request_id": "req-1"}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/problem+json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
    return reply


def ok(obj):
    def reply(h):
        body = json.dumps(obj).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return reply


def chunked_then_drop(lines):
    """Sends some NDJSON lines as chunks, then closes without the final chunk."""
    def reply(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/x-ndjson")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for line in lines:
            data = (json.dumps(line) + "\n").encode()
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)
    return reply


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        Script.replies, Script.seen = [], []
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Script)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.addCleanup(self.srv.server_close)
        self.addCleanup(self.srv.shutdown)
        self.slept = []
        self.c = Client(f"http://127.0.0.1:{self.srv.server_port}", "rlhf_test", max_retries=3,
                        backoff=0.01, sleep=self.slept.append)

    def test_busy_server_is_retried_under_the_same_idempotency_key(self):
        Script.replies = [problem(503, "the database is unavailable", {"Retry-After": "2"}),
                          problem(429, "slow down", {"Retry-After": "1"}),
                          ok({"items": [], "created": 1, "existing": 0})]
        res = self.c.post_responses("ev", [{"model": "m", "prompt": "p", "response": "r"}])
        self.assertEqual(res["created"], 1)
        keys = {s[2].get("Idempotency-Key") for s in Script.seen}
        self.assertEqual(len(Script.seen), 3)
        self.assertEqual(len(keys), 1)
        self.assertNotIn(None, keys)
        # Retry-After is a floor on the wait.
        self.assertGreaterEqual(self.slept[0], 2)
        self.assertGreaterEqual(self.slept[1], 1)
        self.assertEqual(Script.seen[0][2]["Content-Type"], "application/x-ndjson")

    def test_bad_request_is_not_retried(self):
        Script.replies = [problem(400, "name: must be a slug")]
        with self.assertRaises(rlhf_eval.ValidationError) as cm:
            self.c.create_evaluation("Bad")
        self.assertEqual(len(Script.seen), 1)
        self.assertEqual(cm.exception.detail, "name: must be a slug")
        self.assertEqual(cm.exception.request_id, "req-1")

    def test_retries_run_out(self):
        Script.replies = [problem(503, "down")] * 4
        with self.assertRaises(rlhf_eval.ServiceUnavailable):
            self.c.get_evaluation("ev")
        self.assertEqual(len(Script.seen), 4)

    def test_cut_export_raises(self):
        Script.replies = [chunked_then_drop([{"prompt": "p", "chosen": "a", "rejected": "b"}] * 3)]
        got = []
        with self.assertRaises(rlhf_eval.IncompleteStream):
            for p in self.c.export("ev"):
                got.append(p)
        self.assertEqual(len(got), 3)

    def test_export_error_line_raises(self):
        def reply(h):
            body = b'{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"error": "the database failed"}\n'
            h.send_response(200)
            h.send_header("Content-Type", "application/x-ndjson")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        Script.replies = [reply]
        with self.assertRaises(rlhf_eval.IncompleteStream):
            list(self.c.export("ev"))

    def test_pages_follow_the_cursor(self):
        Script.replies = [ok({"items": [{"id": "1"}, {"id": "2"}], "next_cursor": "c1"}),
                          ok({"items": [{"id": "3"}], "next_cursor": None})]
        self.assertEqual([e["id"] for e in self.c.evaluations(limit=2)], ["1", "2", "3"])
        self.assertIn("cursor=c1", Script.seen[1][1])
        self.assertIn("limit=2", Script.seen[1][1])

    def test_path_segments_are_escaped(self):
        Script.replies = [ok({"id": "x"})]
        self.c.get_response("ev", "a/b%41?")
        self.assertEqual(Script.seen[0][1], "/v1/evaluations/ev/responses/a%2Fb%2541%3F")

    def test_key_is_required_and_never_shown(self):
        with self.assertRaises(rlhf_eval.RLHFEvalError):
            Client("http://127.0.0.1:1", "")
        self.assertNotIn("rlhf_test", repr(self.c))


if __name__ == "__main__":
    unittest.main()
