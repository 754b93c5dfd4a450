"""A client for the rlhf-eval REST API, written on the standard library alone."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import errors
from .types import (
    BatchResult,
    Comparison,
    Evaluation,
    Job,
    Response,
)

__all__ = ["Client", "DEFAULT_CHUNK"]

#: Items per request when posting a large batch: each chunk is one all-or-nothing
#: request with an Idempotency-Key of its own, so a failed upload resumes where it
#: stopped and never writes a chunk twice.
DEFAULT_CHUNK = 1000

Query = Mapping[str, Union[str, int, float, bool, None]]

_RETRY_STATUSES = (429, 502, 503, 504)


class _Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))


class Client:
    """A connection to one rlhf-eval server with one API key.

    ``url`` defaults to ``$RLHF_URL`` (else ``http://localhost:8080``) and
    ``api_key`` to ``$RLHF_API_KEY``. Requests that are safe to repeat (reads,
    deletes, and writes carrying an Idempotency-Key, which every POST this client
    sends does) are retried on 429, 502, 503, 504 and connection failures, with
    exponential backoff and jitter that honours the server's Retry-After.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        user_agent: str = "rlhf-eval-python",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        url = url or os.environ.get("RLHF_URL") or "http://localhost:8080"
        api_key = api_key if api_key is not None else os.environ.get("RLHF_API_KEY", "")
        if not api_key:
            raise errors.RLHFEvalError("no API key: pass api_key or set RLHF_API_KEY")
        self.url = url.rstrip("/")
        self._key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.user_agent = user_agent
        self._sleep = sleep

    def __repr__(self) -> str:
        # Never show the key.
        return f"Client(url={self.url!r})"

    # ----------------------------------------------------------------- plumbing

    def _url(self, path: str, query: Optional[Query] = None) -> str:
        u = self.url + path
        if query:
            q = {}
            for k, v in query.items():
                if v is None:
                    continue
                if isinstance(v, bool):
                    v = "true" if v else "false"
                q[k] = str(v)
            if q:
                u += "?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)
        return u

    def _open(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Query] = None,
        body: Optional[bytes] = None,
        content_type: str = "application/json",
        headers: Optional[Dict[str, str]] = None,
        retry: bool = True,
    ) -> http.client.HTTPResponse:
        """Sends a request and returns the open reply of a 2xx status; raises otherwise."""
        h = {
            "Authorization": "Bearer " + self._key,
            "Accept": "application/json, application/problem+json, application/x-ndjson, text/csv",
            "User-Agent": self.user_agent,
        }
        if body is not None:
            h["Content-Type"] = content_type
        if headers:
            h.update(headers)
        url = self._url(path, query)
        attempt = 0
        while True:
            attempt += 1
            req = urllib.request.Request(url, data=body, method=method, headers=h)
            try:
                return urllib.request.urlopen(req, timeout=self.timeout)
            except urllib.error.HTTPError as e:
                raw = e.read()
                try:
                    problem: Any = json.loads(raw.decode("utf-8")) if raw else None
                except ValueError:
                    problem = raw.decode("utf-8", "replace")
                err = errors.error_for(e.code, problem, e.headers)
                if retry and attempt <= self.max_retries and self._retryable(err, h):
                    self._sleep(self._delay(attempt, err.retry_after))
                    continue
                raise err from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as e:
                if retry and attempt <= self.max_retries:
                    self._sleep(self._delay(attempt, None))
                    continue
                raise errors.RLHFEvalError(f"{method} {path}: {e}") from e

    def _retryable(self, err: errors.APIError, headers: Mapping[str, str]) -> bool:
        if err.status in _RETRY_STATUSES:
            return True
        # A retry that overtook the first request under the same Idempotency-Key.
        return err.status == 409 and "Idempotency-Key" in headers and "Idempotency-Key" in err.detail

    def _delay(self, attempt: int, retry_after: Optional[float]) -> float:
        d = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        d = d / 2 + random.random() * d / 2
        if retry_after is not None:
            d = max(d, retry_after)
        return d

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Query] = None,
        json_body: Any = None,
        raw_body: Optional[bytes] = None,
        content_type: str = "application/json",
        idempotency_key: Union[str, bool, None] = None,
        headers: Optional[Dict[str, str]] = None,
        retry: bool = True,
    ) -> _Reply:
        h = dict(headers or {})
        body = raw_body
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        if method == "POST" and idempotency_key is not False:
            h["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        with self._open(method, path, query=query, body=body, content_type=content_type, headers=h, retry=retry) as res:
            return _Reply(res.status, res.headers, res.read())

    def _get(self, path: str, query: Optional[Query] = None) -> Any:
        return self._call("GET", path, query=query).json()

    def _pages(self, path: str, query: Optional[Query] = None) -> Iterator[Dict[str, Any]]:
        """Iterates over every item of a keyset-paginated list."""
        q: Dict[str, Any] = dict(query or {})
        while True:
            page = self._get(path, q)
            for item in page.get("items") or []:
                yield item
            nxt = page.get("next_cursor")
            if not nxt:
                return
            q["cursor"] = nxt

    @staticmethod
    def _seg(s: str) -> str:
        """Escapes one path segment (names, ids and external ids may hold any character)."""
        return urllib.parse.quote(str(s), safe="")

    def _eval(self, evaluation: str) -> str:
        return "/v1/evaluations/" + self._seg(evaluation)

    # --------------------------------------------------------------- service

    def health(self) -> bool:
        """Reports whether the server is up and its database answers (``/readyz``)."""
        try:
            with self._open("GET", "/readyz", retry=False) as res:
                return res.status == 200
        except errors.RLHFEvalError:
            return False

    def scorers(self) -> List[Dict[str, Any]]:
        """Lists the scorer types with their parameters' JSON Schemas."""
        return self._get("/v1/scorers")["items"]

    def score(self, items: Sequence[Mapping[str, Any]], scorers: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
        """Scores items with the given scorer configurations; nothing is stored."""
        res = self._call("POST", "/v1/score", json_body={"items": list(items), "scorers": list(scorers)}).json()
        return res["items"]

    # ----------------------------------------------------------- evaluations

    def create_evaluation(
        self,
        name: str,
        *,
        description: str = "",
        scorers: Optional[Sequence[Mapping[str, Any]]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Evaluation:
        """Creates an evaluation. ``scorers`` are configurations like ``{"type": "bleu"}``."""
        body: Dict[str, Any] = {"name": name, "description": description}
        if scorers is not None:
            body["scorers"] = list(scorers)
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return self._call("POST", "/v1/evaluations", json_body=body).json()

    def get_evaluation(self, evaluation: str) -> Evaluation:
        """Returns one evaluation, by id or name."""
        return self._get(self._eval(evaluation))

    def ensure_evaluation(self, name: str, **kwargs: Any) -> Evaluation:
        """Returns the evaluation with this name, creating it when it does not exist."""
        try:
            return self.get_evaluation(name)
        except errors.NotFound:
            pass
        try:
            return self.create_evaluation(name, **kwargs)
        except errors.Conflict:
            return self.get_evaluation(name)

    def evaluations(self, *, sort: Optional[str] = None, limit: Optional[int] = None) -> Iterator[Evaluation]:
        """Iterates over every evaluation; ``limit`` is the page size."""
        return self._pages("/v1/evaluations", {"sort": sort, "limit": limit})

    def update_evaluation(self, evaluation: str, **fields: Any) -> Evaluation:
        """Changes ``name``, ``description``, ``scorers`` or ``metadata``."""
        return self._call("PATCH", self._eval(evaluation), json_body=fields).json()

    def delete_evaluation(self, evaluation: str) -> Optional[Dict[str, Any]]:
        """Deletes an evaluation with everything in it (admin scope).

        Returns the reply body when the server answers with one (a background job
        that purges the data), else None.
        """
        return self._call("DELETE", self._eval(evaluation)).json()

    # ------------------------------------------------------------- responses

    def post_responses(
        self,
        evaluation: str,
        responses: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = DEFAULT_CHUNK,
        minimal: bool = False,
        key_prefix: Optional[str] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> BatchResult:
        """Posts responses in NDJSON chunks; see :meth:`post_batch`."""
        return self.post_batch(
            self._eval(evaluation) + "/responses", responses, chunk_size=chunk_size,
            minimal=minimal, key_prefix=key_prefix, progress=progress,
        )

    def post_comparisons(
        self,
        evaluation: str,
        comparisons: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = DEFAULT_CHUNK,
        minimal: bool = False,
        key_prefix: Optional[str] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> BatchResult:
        """Posts comparisons in NDJSON chunks; see :meth:`post_batch`."""
        return self.post_batch(
            self._eval(evaluation) + "/comparisons", comparisons, chunk_size=chunk_size,
            minimal=minimal, key_prefix=key_prefix, progress=progress,
        )

    def post_batch(
        self,
        path: str,
        items: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = DEFAULT_CHUNK,
        minimal: bool = False,
        key_prefix: Optional[str] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> BatchResult:
        """Posts items as NDJSON, ``chunk_size`` per request, each chunk all or nothing.

        Each chunk carries the Idempotency-Key ``{key_prefix}-{n}``: give a stable
        ``key_prefix`` (e.g. derived from the run and step) and an interrupted upload
        can be repeated from the start — chunks already stored are replayed by the
        server, not written again. Without one, a random prefix still makes the
        client's own retries safe. With ``minimal`` the server replies with counts
        only. ``progress`` is called with the number of items sent so far.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        prefix = key_prefix or str(uuid.uuid4())
        total = BatchResult(items=[], created=0, existing=0)
        headers = {"Prefer": "return=minimal"} if minimal else {}
        sent = 0
        n = 0
        buf: List[Mapping[str, Any]] = []

        def flush() -> None:
            nonlocal n, sent
            body = b"".join(json.dumps(x, ensure_ascii=False).encode("utf-8") + b"\n" for x in buf)
            raw = gzip.compress(body, 5) if len(body) > 64 << 10 else body
            h = dict(headers)
            if raw is not body:
                h["Content-Encoding"] = "gzip"
            res = self._call(
                "POST", path, raw_body=raw, content_type="application/x-ndjson",
                idempotency_key=f"{prefix}-{n}", headers=h,
            ).json()
            total["created"] += res.get("created", 0)
            total["existing"] += res.get("existing", 0)
            if not minimal:
                total["items"].extend(res.get("items") or [])
            n += 1
            sent += len(buf)
            buf.clear()
            if progress:
                progress(sent)

        for x in items:
            buf.append(x)
            if len(buf) >= chunk_size:
                flush()
        if buf:
            flush()
        if n == 0:
            raise ValueError("no items to post")
        return total

    def get_response(self, evaluation: str, response: str) -> Response:
        """Returns one response with its scores, by id or external_id."""
        return self._get(self._eval(evaluation) + "/responses/" + self._seg(response))

    def responses(
        self,
        evaluation: str,
        *,
        model: Optional[str] = None,
        prompt_id: Optional[str] = None,
        scorer: Optional[str] = None,
        passed: Optional[bool] = None,
        sort: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Iterator[Response]:
        """Iterates over an evaluation's responses, page by page."""
        return self._pages(self._eval(evaluation) + "/responses", {
            "model": model, "prompt_id": prompt_id, "scorer": scorer, "passed": passed, "sort": sort, "limit": limit,
        })

    def delete_response(self, evaluation: str, response: str) -> None:
        """Deletes one response with its scores and the comparisons that use it (admin scope)."""
        self._call("DELETE", self._eval(evaluation) + "/responses/" + self._seg(response))

    # ----------------------------------------------------------- comparisons

    def get_comparison(self, evaluation: str, comparison: str) -> Comparison:
        """Returns one comparison, by id or external_id."""
        return self._get(self._eval(evaluation) + "/comparisons/" + self._seg(comparison))

    def comparisons(
        self,
        evaluation: str,
        *,
        annotator: Optional[str] = None,
        annotator_kind: Optional[str] = None,
        model: Optional[str] = None,
        sort: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Iterator[Comparison]:
        """Iterates over an evaluation's comparisons, page by page."""
        return self._pages(self._eval(evaluation) + "/comparisons", {
            "annotator": annotator, "annotator_kind": annotator_kind, "model": model, "sort": sort, "limit": limit,
        })

    def delete_comparison(self, evaluation: str, comparison: str) -> None:
        """Deletes one comparison (admin scope)."""
        self._call("DELETE", self._eval(evaluation) + "/comparisons/" + self._seg(comparison))

    # ------------------------------------------------------------- analytics

    def summary(self, evaluation: str, *, group_by: Optional[str] = None, exact: Optional[bool] = None) -> Dict[str, Any]:
        """Per-scorer statistics of an evaluation (``group_by="model"`` for each model)."""
        return self._get(self._eval(evaluation) + "/summary", {"group_by": group_by, "exact": exact})

    def diff(
        self,
        base: str,
        candidate: str,
        *,
        alpha: Optional[float] = None,
        bootstrap: Optional[int] = None,
        seed: Optional[int] = None,
        scorer: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Compares two evaluations prompt by prompt, per scorer, with paired tests."""
        return self._get(self._eval(base) + "/diff/" + self._seg(candidate), {
            "alpha": alpha, "bootstrap": bootstrap, "seed": seed, "scorer": scorer,
        })

    def regressions(self, base: str, candidate: str, **kwargs: Any) -> List[Dict[str, Any]]:
        """Returns the scorers on which the candidate regressed significantly."""
        d = self.diff(base, candidate, **kwargs)
        return [s for s in d.get("scorers") or [] if s.get("verdict") == "regression" or s.get("regressed")]

    def leaderboard(
        self,
        evaluation: str,
        *,
        method: str = "bt",
        baseline: Optional[str] = None,
        bootstrap: Optional[int] = None,
        seed: Optional[int] = None,
        annotator_kind: Optional[str] = None,
        **params: Any,
    ) -> Dict[str, Any]:
        """Ranks the models of an evaluation (``method`` = ``bt``, ``elo`` or ``winrate``)."""
        q = {"method": method, "baseline": baseline, "bootstrap": bootstrap, "seed": seed, "annotator_kind": annotator_kind}
        q.update(params)
        return self._get(self._eval(evaluation) + "/leaderboard", q)

    def agreement(self, evaluation: str, **params: Any) -> Dict[str, Any]:
        """Inter-annotator agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha."""
        return self._get(self._eval(evaluation) + "/agreement", params or None)

    def scorer_agreement(self, evaluation: str, **params: Any) -> Dict[str, Any]:
        """How often each scorer orders judged pairs as the preferences do."""
        return self._get(self._eval(evaluation) + "/scorer-agreement", params or None)

    def export(self, evaluation: str, *, format: str = "dpo", **params: Any) -> Iterator[Dict[str, Any]]:
        """Streams an evaluation's preference pairs as dicts (``format`` dpo, kto or jsonl).

        Raises :class:`errors.IncompleteStream` when the server could not finish the
        export: a cut-off stream is never mistaken for a complete one.
        """
        if format == "csv":
            raise ValueError("use export_raw for csv")
        for line in self.export_raw(evaluation, format=format, **params):
            obj = json.loads(line)
            if isinstance(obj, dict) and set(obj) >= {"error"} and len(obj) <= 3 and "chosen" not in obj and "prompt" not in obj:
                raise errors.IncompleteStream(f"export of {evaluation!r} failed on the server: {obj.get('error')}")
            yield obj

    def export_raw(self, evaluation: str, *, format: str = "dpo", **params: Any) -> Iterator[bytes]:
        """Streams an export line by line, as bytes, without decoding."""
        q: Dict[str, Any] = {"format": format}
        q.update(params)
        res = self._open("GET", self._eval(evaluation) + "/export", query=q)
        # read1 (unlike readline, which swallows it) reports a chunked body that
        # ended without its last chunk; a Content-Length body is checked by count.
        want = res.headers.get("Content-Length")
        got = 0
        buf = b""
        try:
            while True:
                try:
                    data = res.read1(1 << 16)
                except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException) as e:
                    raise errors.IncompleteStream(f"export of {evaluation!r} was cut short: {e!r}") from e
                if not data:
                    break
                got += len(data)
                buf += data
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line:
                        yield line
            if want is not None and got != int(want):
                raise errors.IncompleteStream(f"export of {evaluation!r} was cut short: {got} of {want} bytes")
            if buf:
                yield buf
        finally:
            res.close()

    # ---------------------------------------------------------------- keys

    def create_key(self, name: str, scopes: Sequence[str] = ("read",), expires_at: Optional[str] = None) -> Dict[str, Any]:
        """Creates an API key (admin scope); the reply's ``key`` is shown only this once."""
        body: Dict[str, Any] = {"name": name, "scopes": list(scopes)}
        if expires_at:
            body["expires_at"] = expires_at
        return self._call("POST", "/v1/keys", json_body=body, idempotency_key=False, retry=False).json()

    def keys(self) -> Iterator[Dict[str, Any]]:
        """Iterates over the API keys (admin scope)."""
        return self._pages("/v1/keys")

    def revoke_key(self, key_id: str) -> Dict[str, Any]:
        """Revokes an API key (admin scope)."""
        return self._call("DELETE", "/v1/keys/" + self._seg(key_id)).json()

    # ------------------------------------------------------ judges and jobs

    def create_judge(self, config: Mapping[str, Any]) -> Dict[str, Any]:
        """Stores a judge configuration; a changed configuration becomes a new version."""
        return self._call("POST", "/v1/judges", json_body=dict(config)).json()

    def judges(self) -> Iterator[Dict[str, Any]]:
        """Iterates over the judges (latest versions)."""
        return self._pages("/v1/judges")

    def get_judge(self, name: str, version: Optional[int] = None) -> Dict[str, Any]:
        """Returns a judge's latest version, or the given one."""
        return self._get("/v1/judges/" + self._seg(name), {"version": version})

    def start_judge_run(
        self,
        evaluation: str,
        judge: Union[str, Mapping[str, Any]],
        *,
        baseline: Optional[str] = None,
        models: Optional[Sequence[str]] = None,
        cache: Optional[bool] = None,
    ) -> Job:
        """Starts a judge run over an evaluation and returns its job."""
        body: Dict[str, Any] = {"judge": judge if isinstance(judge, str) else dict(judge)}
        if baseline is not None:
            body["baseline"] = baseline
        if models is not None:
            body["models"] = list(models)
        if cache is not None:
            body["cache"] = cache
        return self._call("POST", self._eval(evaluation) + "/judge-runs", json_body=body).json()

    def get_job(self, job_id: str) -> Job:
        """Returns a background job's state."""
        return self._get("/v1/jobs/" + self._seg(job_id))

    def jobs(self, **filters: Any) -> Iterator[Job]:
        """Iterates over background jobs (filters: ``evaluation``, ``kind``, ``status``)."""
        return self._pages("/v1/jobs", filters or None)

    def cancel_job(self, job_id: str) -> Job:
        """Asks a background job to stop."""
        return self._call("POST", "/v1/jobs/" + self._seg(job_id) + "/cancel").json()

    def wait_job(self, job_id: str, *, poll: float = 1.0, timeout: Optional[float] = None,
                 progress: Optional[Callable[[Job], None]] = None) -> Job:
        """Polls a job until it finishes and returns it; raises when it failed or timed out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if progress:
                progress(job)
            if job.get("status") in ("succeeded", "failed", "cancelled"):
                if job["status"] == "failed":
                    raise errors.RLHFEvalError(f"job {job_id} failed: {job.get('error', '')}")
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.get('status')} after {timeout}s")
            self._sleep(poll)
