"""Python client for rlhf-eval, on the standard library alone.

    from rlhf_eval import Client
    c = Client("http://localhost:8080", api_key="rlhf_...")
    c.create_evaluation("chat-v1", scorers=[{"type": "refusal"}])
    c.post_responses("chat-v1", [{"model": "m", "prompt": "Hi", "response": "Hello"}])
    print(c.summary("chat-v1"))
"""

from .client import DEFAULT_CHUNK, Client
from .errors import (
    APIError,
    AuthenticationError,
    Conflict,
    IncompleteStream,
    NotFound,
    PermissionDenied,
    RateLimited,
    RLHFEvalError,
    ServiceUnavailable,
    ValidationError,
)
from .training import log_generations

__version__ = "0.1.0"

__all__ = [
    "Client",
    "DEFAULT_CHUNK",
    "APIError",
    "AuthenticationError",
    "Conflict",
    "IncompleteStream",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RLHFEvalError",
    "ServiceUnavailable",
    "ValidationError",
    "log_generations",
]
