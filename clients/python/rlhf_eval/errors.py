"""Errors raised by the client.

Every failed request raises :class:`APIError` (or a subclass) carrying the fields of
the server's RFC 9457 problem document, so a training loop can tell a bad field from
a busy server without parsing messages.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class RLHFEvalError(Exception):
    """Base class of every error this package raises."""


class APIError(RLHFEvalError):
    """The server answered with a problem document (or an unexpected status).

    Attributes mirror RFC 9457: ``type``, ``title``, ``status``, ``detail``,
    ``instance``, plus the service's ``request_id`` and ``errors`` (a list of
    ``{"field", "message"}`` for validation failures).
    """

    def __init__(
        self,
        status: int,
        title: str = "",
        detail: str = "",
        type: str = "about:blank",
        instance: str = "",
        request_id: str = "",
        errors: Optional[List[Dict[str, str]]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.instance = instance
        self.request_id = request_id
        self.errors = errors or []
        self.body = body
        self.retry_after = retry_after
        msg = f"{status} {title}".strip()
        if detail:
            msg += f": {detail}"
        if request_id:
            msg += f" (request {request_id})"
        super().__init__(msg)

    def field_errors(self) -> Dict[str, str]:
        """Returns the validation errors as a mapping from field path to message."""
        return {e.get("field", ""): e.get("message", "") for e in self.errors}


class ValidationError(APIError):
    """400 or 422: the request was refused as it stands; do not retry it unchanged."""


class AuthenticationError(APIError):
    """401: the API key is missing, malformed, unknown, revoked or expired."""


class PermissionDenied(APIError):
    """403: the API key lacks the scope the route needs."""


class NotFound(APIError):
    """404: no such evaluation, response, comparison, judge or job."""


class Conflict(APIError):
    """409: a conflicting resource exists, or an Idempotency-Key is in use."""


class RateLimited(APIError):
    """429: too many requests for this API key; ``retry_after`` says when to retry."""


class ServiceUnavailable(APIError):
    """503: the database is unavailable, or a write's outcome is unknown."""


class IncompleteStream(RLHFEvalError):
    """A streamed reply (an export) ended before the server finished it.

    The lines received before the failure were yielded; the rest are missing.
    """


_BY_STATUS = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_for(status: int, problem: Any, headers: Any = None) -> APIError:
    """Builds the error for a reply with a non-2xx status and its decoded body."""
    cls = _BY_STATUS.get(status, APIError)
    retry_after = None
    if headers is not None:
        ra = headers.get("Retry-After")
        if ra:
            try:
                retry_after = float(ra)
            except ValueError:
                retry_after = None
    if isinstance(problem, dict):
        return cls(
            status=status,
            title=str(problem.get("title", "")),
            detail=str(problem.get("detail", "")),
            type=str(problem.get("type", "about:blank")),
            instance=str(problem.get("instance", "")),
            request_id=str(problem.get("request_id", "")),
            errors=problem.get("errors") or [],
            body=problem,
            retry_after=retry_after,
        )
    return cls(status=status, detail=str(problem or ""), body=problem, retry_after=retry_after)
