"""Turn the runs' figures into one markdown table, with ratios and targets."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Each run of a scenario: the figures it printed merged with the sink's tally.
Run = dict[str, Any]


@dataclass
class Outcome:
    """The runs of one scenario, or why it did not run."""

    runs: list[Run] = field(default_factory=list)
    unavailable: str | None = None
    failed: str | None = None

    def median(self, key: str) -> float:
        return statistics.median(float(run[key]) for run in self.runs)

    def spread(self, key: str) -> tuple[float, float]:
        values = [float(run[key]) for run in self.runs]
        return min(values), max(values)

    def worst_delivery(self) -> tuple[int, int, int, int]:
        """(fewest delivered, expected, most duplicates, most missing) over the runs."""
        return (
            min(int(run["delivered"]) for run in self.runs),
            int(self.runs[0]["expected"]),
            max(int(run["duplicates"]) for run in self.runs),
            max(int(run["missing"]) for run in self.runs),
        )


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    digits: int
    higher_is_better: bool = False


BATCH_FIGURES = (
    Figure("caller_us", "caller µs per call", 1),
    Figure("cpu_us", "CPU µs per event (all threads)", 1),
    Figure("flush_ms", "flush() ms", 1),
    Figure("events_per_s", "delivered events/s", 0, higher_is_better=True),
    Figure("rss_mb", "peak RSS growth MB", 1),
)
SINGLE_FIGURES = (
    Figure("caller_us", "µs per event (wall)", 0),
    Figure("cpu_us", "CPU µs per event", 0),
)

BATCH_SUBJECTS = (
    ("floor", "floor (hand-rolled sessions + bulk POSTs)"),
    ("floor_orjson", "floor with orjson bodies (informational)"),
    ("trodo_batch", "trodo, batch_enabled=True"),
    ("posthog", "posthog"),
    ("segment", "segment-analytics-python"),
)
SINGLE_SUBJECTS = (
    ("raw_single", "raw httpx POST of one event"),
    ("trodo_single", "trodo, batching off"),
)
IMPORT_SUBJECTS = (
    ("import_httpx", "import httpx"),
    ("import_trodo", "import trodo"),
    ("import_httpx_client", "import httpx + first httpx.Client()"),
    ("import_trodo_client", "import trodo + first TrodoClient()"),
)

# The targets for trodo, as (scenario, figure key) -> (text, check(value, baseline)).
Check = Callable[[float, float], bool]
TARGETS: dict[tuple[str, str], tuple[str, Check]] = {
    ("trodo_batch", "caller_us"): ("≤ 5 µs", lambda value, _base: value <= 5.0),
    ("trodo_batch", "cpu_us"): ("≤ 1.3× floor", lambda value, base: value <= 1.3 * base),
    ("trodo_batch", "events_per_s"): ("≥ 0.9× floor", lambda value, base: value >= 0.9 * base),
    ("trodo_batch", "rss_mb"): ("≤ 60 MB", lambda value, _base: value <= 60.0),
    ("trodo_single", "caller_us"): ("≤ 1.2× raw POST", lambda value, base: value <= 1.2 * base),
    ("import_trodo", "import_ms"): ("≤ 1.2× httpx", lambda value, base: value <= 1.2 * base),
}
NOTHING_LOST = "all N, no duplicates"


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def _verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


@dataclass(frozen=True)
class Section:
    """One scenario of the table: its subjects, figures and the baseline of its ratios."""

    title: str
    subjects: tuple[tuple[str, str], ...]
    figures: tuple[Figure, ...]
    baseline: str
    baseline_name: str
    delivery: bool = True


def _figure_row(
    section: Section, key: str, label: str, *, outcome: Outcome, figure: Figure, base: float | None
) -> list[str]:
    value = outcome.median(figure.key)
    low, high = outcome.spread(figure.key)
    # flush() of the floor is its last partial POST, near zero: no ratio is meaningful there.
    meaningful = base is not None and base > 0 and figure.key != "flush_ms"
    ratio = f"{value / base:.2f}× {section.baseline_name}" if meaningful and base else "—"
    target = ""
    if (goal := TARGETS.get((key, figure.key))) is not None and base is not None:
        text, check = goal
        target = f"{text}: {_verdict(check(value, base))}"
    spread = f"{_number(low, figure.digits)}–{_number(high, figure.digits)}"
    return [
        section.title,
        label,
        figure.label,
        _number(value, figure.digits),
        spread,
        ratio,
        target,
    ]


def _delivery_row(section: Section, key: str, label: str, outcome: Outcome) -> list[str]:
    delivered, expected, duplicates, missing = outcome.worst_delivery()
    detail = f"{duplicates:,} dup, {missing:,} missing"
    sessions = max(run["requests_by_path"].get("/api/sdk/track", 0) for run in outcome.runs)
    if sessions:
        detail += f"; {sessions:,} sessions registered"
    invalid = max(run["invalid"] for run in outcome.runs)
    if invalid:
        detail += f"; {invalid:,} bodies not JSON"
    target = ""
    if key == "trodo_batch":
        target = f"{NOTHING_LOST}: {_verdict(delivered == expected and duplicates == 0)}"
    return [
        section.title,
        label,
        "delivered / N (worst run)",
        f"{delivered:,} / {expected:,}",
        detail,
        f"{delivered / expected:.3f}" if expected else "—",
        target,
    ]


def _section_rows(section: Section, outcomes: dict[str, Outcome]) -> list[list[str]]:
    baseline = outcomes.get(section.baseline)
    rows: list[list[str]] = []
    for key, label in section.subjects:
        outcome = outcomes.get(key)
        if outcome is None:
            continue
        if not outcome.runs:
            why = outcome.failed or f"not installed: {outcome.unavailable}"
            rows.append([section.title, label, "—", "—", "—", "—", why])
            continue
        for figure in section.figures:
            base = baseline.median(figure.key) if baseline is not None and baseline.runs else None
            rows.append(_figure_row(section, key, label, outcome=outcome, figure=figure, base=base))
        if section.delivery:
            rows.append(_delivery_row(section, key, label, outcome))
    return rows


def table(outcomes: dict[str, Outcome], n: int, single_n: int) -> str:
    """The one markdown table of the run: every figure with its ratio and target."""
    sections = (
        Section(f"a. batch, {n:,} events", BATCH_SUBJECTS, BATCH_FIGURES, "floor", "floor"),
        Section(
            f"b. one at a time, {single_n:,} events",
            SINGLE_SUBJECTS,
            SINGLE_FIGURES,
            "raw_single",
            "raw POST",
        ),
        Section(
            "c. import, fresh interpreter",
            IMPORT_SUBJECTS,
            (Figure("import_ms", "ms", 1),),
            "import_httpx",
            "httpx",
            delivery=False,
        ),
    )
    header = ["scenario", "subject", "figure", "median", "range (runs)", "ratio", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for section in sections:
        lines += ["| " + " | ".join(row) + " |" for row in _section_rows(section, outcomes)]
    return "\n".join(lines)


def capacity_line(capacity: dict[str, dict[str, float]], outcomes: dict[str, Outcome]) -> str:
    """The sink's capacity, beside the fastest rates it had to absorb."""
    bulk100 = capacity["bulk_100"]
    text = (
        f"Sink capacity (raw-socket client, one connection): "
        f"{_number(capacity['bulk_1000']['events_per_s'], 0)} events/s in 1,000-event bodies, "
        f"{_number(bulk100['events_per_s'], 0)} events/s in 100-event bodies "
        f"({_number(bulk100['requests_per_s'], 0)} requests/s), "
        f"{_number(capacity['single']['requests_per_s'], 0)} single-event requests/s"
    )
    floor, raw = outcomes.get("floor"), outcomes.get("raw_single")
    notes = []
    if floor is not None and floor.runs:
        ratio = bulk100["events_per_s"] / floor.median("events_per_s")
        notes.append(f"{ratio:.1f}× the floor's delivered rate")
    if raw is not None and raw.runs:
        rate = 1e6 / raw.median("caller_us")
        notes.append(f"{capacity['single']['requests_per_s'] / rate:.1f}× the raw single POST rate")
    return text + (f" ({'; '.join(notes)})." if notes else ".")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> list[str]:
    """What the numbers were measured on."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    packages = ", ".join(
        f"{name} {_version(name)}"
        for name in ("trodo", "httpx", "orjson", "posthog", "segment-analytics-python", "requests")
    )
    return [
        f"CPU: {model}; {os.cpu_count()} cores",
        f"Python {platform.python_version()} ({platform.python_implementation()})"
        f" on {platform.platform()}",
        f"Packages: {packages}",
    ]
