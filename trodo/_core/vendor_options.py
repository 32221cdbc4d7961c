"""The vendor SDK's options and names that belong to its LLM tracing, which is not included.

trodo-python's ``auto_instrument``, ``disable_instrumentations``,
``otel_mode``, ``delivery`` and ``delivery_options`` configure its agent-run
tracing (OpenTelemetry spans, sent by a sender of its own). They are accepted
here so that code written for it starts unchanged: a value that asks for no
tracing is exactly right and silent; a value that asks for tracing warns once
per process that it is not available. Its tracing, prompt, dataset and
experiment functions raise an AttributeError that says so.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping

from trodo._core.errors import TrodoWarning

__all__ = [
    "VENDOR_ONLY",
    "check_auto_instrument",
    "check_delivery",
    "check_delivery_options",
    "check_disable_instrumentations",
    "check_otel_mode",
    "not_included",
]

_warned: set[str] = set()
_lock = threading.Lock()

# What each of the vendor's extra features is, for the AttributeError.
_TRACING = "LLM tracing (agent runs and spans)"
_PROMPTS = "prompt management"
_EVALS = "datasets and experiments"
VENDOR_ONLY: dict[str, str] = {
    **dict.fromkeys(
        (
            "wrap_agent",
            "agent",
            "span",
            "tool",
            "trace",
            "llm",
            "retrieval",
            "join_run",
            "start_run",
            "end_run",
            "track_llm_call",
            "track_mcp",
            "feedback",
            "feedback_props",
            "get_tracer",
            "register_otel",
            "fastapi_middleware",
            "propagation_headers",
            "current_run_id",
            "current_span_id",
            "delivery_stats",
            "RunHandle",
            "SpanHandle",
            "FeedbackProps",
        ),
        _TRACING,
    ),
    **dict.fromkeys(
        (
            "prompts",
            "get_prompt",
            "list_prompts",
            "compile_prompt",
            "render_template",
            "ManagedPrompt",
            "PromptSummary",
            "CompiledPrompt",
            "PromptVariable",
            "CompileError",
            "TemplateError",
        ),
        _PROMPTS,
    ),
    **dict.fromkeys(
        (
            "datasets",
            "experiments",
            "append_dataset",
            "export_dataset",
            "ingest_experiment",
            "create_experiment",
            "run_experiment",
            "get_experiment",
            "wait_experiment",
            "compare_experiments",
        ),
        _EVALS,
    ),
}
"""trodo-python 2.26.2's names that are not here, and what they belong to."""


def not_included(owner: str, name: str, usual: str) -> AttributeError:
    """The AttributeError for ``owner.name``: what it is, when it is one of the vendor's
    names this SDK does not have; else Python's ``usual`` message."""
    feature = VENDOR_ONLY.get(name)
    if feature is None:
        return AttributeError(usual)
    return AttributeError(
        f"{owner}.{name} is part of trodo-python's {feature}, which is not included in "
        "this SDK (it covers analytics: events, identity, errors, people, groups and "
        "upsert_user); keep trodo-python for it under another environment, or remove the call"
    )


def _warn_once(option: str, value: object) -> None:
    with _lock:
        if option in _warned:
            return
        _warned.add(option)
    warnings.warn(
        f"trodo: {option}={value!r} asks for trodo-python's LLM tracing, which this SDK does "
        "not include; the option is ignored (events, identity, errors, people, groups and "
        "upsert_user work as usual)",
        TrodoWarning,
        stacklevel=_outside_trodo(),
    )


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _outside_trodo() -> int:
    """The stack level of the first caller outside this package: the user's
    TrodoClient(...) or trodo.init(...) line (a dataclass __init__ is "<string>")."""
    import inspect  # only when warning: inspect is slow to import

    here = inspect.currentframe()
    frame = here.f_back if here is not None else None
    if frame is None:
        return 2
    level = 1
    while frame.f_back is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE) or frame.f_code.co_filename == "<string>"
    ):
        frame = frame.f_back
        level += 1
    return level


def check_auto_instrument(name: str, value: object) -> None:
    """None or False: no tracing (silent). True asks for it: warn once."""
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    if value:
        _warn_once(name, value)


def check_disable_instrumentations(name: str, value: object) -> None:
    """Turns instrumentations off: never asks for tracing."""
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of instrumentation names, got {value!r}")
    if not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} must be a list of str, got {value!r}")


def check_otel_mode(name: str, value: object) -> None:
    """ "trodo" (the vendor's default) is silent; "otlp" asks for an OTLP pipeline: warn."""
    if value is None or value == "trodo":
        return
    if value == "otlp":
        _warn_once(name, value)
        return
    raise ValueError(f"{name} must be 'trodo' or 'otlp' (trodo-python's modes), got {value!r}")


def check_delivery(name: str, value: object) -> None:
    """How the vendor delivers traces; events here follow batch_enabled. Silent."""
    if value is not None and value not in ("auto", "background", "immediate"):
        raise ValueError(
            f"{name} must be 'auto', 'background' or 'immediate' (trodo-python's trace "
            f"delivery modes; events follow batch_enabled), got {value!r}"
        )


def check_delivery_options(name: str, value: object) -> None:
    """The vendor's trace sender's settings. Silent."""
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (trodo-python's trace sender settings)")
