"""Shapes of the main API objects, for type checkers; at run time they are dicts."""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional

if sys.version_info >= (3, 8):
    from typing import TypedDict
else:  # pragma: no cover
    TypedDict = dict


class Evaluation(TypedDict, total=False):
    id: str
    name: str
    description: str
    scorers: List[Dict[str, Any]]
    metadata: Dict[str, Any]
    created_at: str
    updated_at: str


class Score(TypedDict, total=False):
    value: Optional[float]
    passed: Optional[bool]
    details: Dict[str, Any]
    error: str


class Response(TypedDict, total=False):
    id: str
    evaluation_id: str
    external_id: Optional[str]
    prompt_id: str
    model: str
    prompt: str
    context: List[Dict[str, str]]
    response: str
    reference: Optional[str]
    metadata: Dict[str, Any]
    scores: Dict[str, Score]
    created_at: str


class Comparison(TypedDict, total=False):
    id: str
    evaluation_id: str
    external_id: Optional[str]
    response_a: str
    response_b: str
    model_a: str
    model_b: str
    prompt_id: str
    preference: float
    winner: str
    annotator: str
    annotator_kind: str
    rationale: str
    metadata: Dict[str, Any]
    created_at: str


class BatchResult(TypedDict):
    items: List[Dict[str, Any]]
    created: int
    existing: int


class Job(TypedDict, total=False):
    id: str
    kind: str
    status: str
    total: int
    done: int
    failed: int
    cached: int
    tokens: int
    cost: float
    error: str
    report: Dict[str, Any]
    created_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
