"""Helpers for training loops: post one evaluation step's generations."""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .client import Client
from .types import BatchResult


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def log_generations(
    client: Client,
    evaluation: str,
    *,
    step: int,
    prompts: Sequence[str],
    generations: Sequence[str],
    model: Optional[str] = None,
    run: str = "run",
    references: Optional[Sequence[Optional[str]]] = None,
    prompt_ids: Optional[Sequence[str]] = None,
    metadata: Optional[Mapping[str, Any]] = None,
    scorers: Optional[Sequence[Mapping[str, Any]]] = None,
    minimal: bool = True,
) -> BatchResult:
    """Posts the generations of one evaluation step of a training loop.

    Each generation is stored as a response of model ``model`` (default
    ``"{run}@step{step}"``), with ``metadata`` plus ``{"run", "step"}``. External ids
    and Idempotency-Keys are derived from the run, the step and each prompt, so
    calling this again for the same step — after a crash, or from a retried job —
    stores nothing twice. The evaluation is created (with ``scorers``) when missing.
    Use one evaluation per run and compare checkpoints with
    :meth:`Client.leaderboard` or evaluations per step with :meth:`Client.diff`.
    """
    if len(prompts) != len(generations):
        raise ValueError(f"{len(prompts)} prompts but {len(generations)} generations")
    if references is not None and len(references) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(references)} references")
    if prompt_ids is not None and len(prompt_ids) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(prompt_ids)} prompt ids")
    model = model or f"{run}@step{step}"
    client.ensure_evaluation(evaluation, scorers=scorers)
    items: List[Dict[str, Any]] = []
    for i, (p, g) in enumerate(zip(prompts, generations)):
        pid = prompt_ids[i] if prompt_ids is not None else None
        item: Dict[str, Any] = {
            "external_id": f"{model}/{pid or _digest(p)}/{i}",
            "model": model,
            "prompt": p,
            "response": g,
            "metadata": dict(metadata or {}, run=run, step=step),
        }
        if pid is not None:
            item["prompt_id"] = pid
        if references is not None and references[i] is not None:
            item["reference"] = references[i]
        items.append(item)
    return client.post_responses(
        evaluation, items, minimal=minimal, key_prefix="gen-" + _digest(evaluation, model, str(len(items)))
    )
