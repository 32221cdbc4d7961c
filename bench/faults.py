"""The fault table: every SDK against the same seeded flaky server.

The sink fails 30% of every request (session registrations included) with a 5xx, drawn
from ``random.Random(seed)`` in arrival order, so each SDK meets the same sequence of
answers on a seed. Each SDK tracks 3,000 events over 20 users, batch size 50, request
timeout 2 s, then delivers what it holds and shuts down (``bench/fault_subjects.py``,
one fresh process per run). The vendor's trodo-python shares the import name ``trodo``,
so it runs from its own virtualenv, ``.venv-vendor``, made on demand.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "fault_subjects.py"
VENDOR_VENV = ROOT / ".venv-vendor"
VENDOR_PACKAGE = "trodo-python"
FAIL_RATE = 0.3
USERS = 20
BATCH = 50
TIMEOUT = 2.0
RUN_LIMIT = 300  # seconds one SDK may take on one seed before the run counts as hung
UNAVAILABLE = 3

SUBJECTS = (
    ("trodo", "trodo (this SDK), batch_enabled=True"),
    ("vendor", "trodo-python 2.x (the vendor's)"),
    ("posthog", "posthog"),
    ("segment", "segment-analytics-python"),
)
TRACK_LIMIT_MS = 5.0
TIME_RATIO = 2.0


@dataclass
class FaultRuns:
    """One SDK's runs over the seeds, or why it did not run."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable: str | None = None


def vendor_python(log: Callable[[str], None]) -> Path | str:
    """The vendor venv's interpreter, made on first use; or why there is none."""
    python = VENDOR_VENV / "bin" / "python"
    if not python.exists():
        log(f"making {VENDOR_VENV.name} with {VENDOR_PACKAGE} (once)")
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(VENDOR_VENV)], capture_output=True, check=False
        )
        if made.returncode != 0:
            return f"could not make {VENDOR_VENV.name}: {made.stderr.decode()[-200:]}"
    check = subprocess.run(
        [str(python), "-c", "import trodo; trodo.wrap_agent"], capture_output=True, check=False
    )
    if check.returncode != 0:
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", VENDOR_PACKAGE],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            return f"pip install {VENDOR_PACKAGE} failed: {installed.stderr.strip()[-200:]}"
    return python


def run_one(
    python: Path | str, subject: str, sink: Any, seed: int, n: int, logs: Path
) -> dict[str, Any]:
    """One SDK on one seed: its own figures merged with the sink's tally."""
    sink.reset_faults(n, FAIL_RATE, seed)
    command = [
        str(python),
        str(SCRIPT),
        subject,
        "--sink",
        sink.url,
        "--n",
        str(n),
        "--users",
        str(USERS),
        "--batch",
        str(BATCH),
        "--timeout",
        str(TIMEOUT),
    ]
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"fault-{subject}-{seed}.log"
    # Not the project root: the vendor's interpreter must import its own `trodo`.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with log.open("w") as stderr:
        try:
            done = subprocess.run(
                command,
                cwd=SCRIPT.parent,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                timeout=RUN_LIMIT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"hung": True, **sink.stats()}
    lines = done.stdout.strip().splitlines()
    if done.returncode == UNAVAILABLE and lines:
        return {"unavailable": json.loads(lines[-1])["unavailable"]}
    if done.returncode != 0 or not lines:
        tail = log.read_text().strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"unavailable": f"failed: {tail[0][:120]} (see {log.relative_to(ROOT)})"}
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures | sink.stats()


def run_all(
    sink: Any, seeds: int, n: int, logs: Path, log: Callable[[str], None]
) -> dict[str, FaultRuns]:
    """Every SDK on every seed, seeds interleaved so that drift hits all alike."""
    pythons: dict[str, Path | str] = {name: sys.executable for name, _ in SUBJECTS}
    outcomes = {name: FaultRuns() for name, _ in SUBJECTS}
    vendor = vendor_python(log)
    if isinstance(vendor, str):
        outcomes["vendor"].unavailable = vendor
    else:
        pythons["vendor"] = vendor
    for seed in range(seeds):
        for name, _ in SUBJECTS:
            outcome = outcomes[name]
            if outcome.unavailable:
                continue
            result = run_one(pythons[name], name, sink, seed, n, logs)
            if "unavailable" in result:
                outcome.unavailable = result["unavailable"]
                log(f"fault {name}: {outcome.unavailable}")
                continue
            outcome.runs.append(result)
            log(
                f"fault {name} seed {seed}: {result['delivered']}/{n} delivered in "
                f"{result.get('total_s', float('nan')):.1f} s"
            )
    return outcomes


def _lost(run: dict[str, Any]) -> int:
    return int(run["expected"]) - int(run["delivered"])


def table(outcomes: dict[str, FaultRuns], seeds: int, n: int) -> str:
    """The fault table, one row per SDK, with the targets marked on trodo's row."""
    segment = outcomes.get("segment")
    segment_median = (
        statistics.median(r["total_s"] for r in segment.runs if "total_s" in r)
        if segment is not None and segment.runs
        else None
    )
    header = [
        "subject",
        "delivered (worst seed)",
        "lost per seed",
        "requests the sink failed, per seed",
        "given up (SDK's own count, per seed)",
        "first track → shutdown done, s (median; range)",
        "slowest track() ms (worst seed)",
        "targets",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, label in SUBJECTS:
        outcome = outcomes[key]
        if not outcome.runs:
            why = outcome.unavailable or "not run"
            lines.append(f"| {label} | — | — | — | — | — | — | {why} |")
            continue
        runs = outcome.runs
        worst = min(int(r["delivered"]) for r in runs)
        lost = ", ".join(str(_lost(r)) for r in runs)
        failed = ", ".join(str(sum(r.get("failed_by_path", {}).values())) for r in runs)
        given = ", ".join("—" if r.get("given_up") is None else str(r["given_up"]) for r in runs)
        times = [r["total_s"] for r in runs if "total_s" in r]
        hung = sum(1 for r in runs if r.get("hung"))
        median = statistics.median(times) if times else float("nan")
        spread = f"{min(times):.1f}–{max(times):.1f}" if times else "—"
        time_text = f"{median:.1f} ({spread})" + (f"; {hung} hung > {RUN_LIMIT} s" if hung else "")
        slowest = max((r["slowest_track_ms"] for r in runs if "slowest_track_ms" in r), default=0)
        targets = ""
        if key == "trodo":
            zero = all(_lost(r) == 0 and int(r["duplicates"]) == 0 for r in runs)
            marks = [f"0 lost, 0 duplicated on every seed: {_verdict(zero)}"]
            if segment_median is not None:
                ok = median <= TIME_RATIO * segment_median
                ratio = median / segment_median
                marks.append(f"time ≤ {TIME_RATIO:g}× segment's ({ratio:.2f}×): {_verdict(ok)}")
            marks.append(f"no track() over {TRACK_LIMIT_MS:g} ms: {_verdict(slowest <= 5.0)}")
            targets = "; ".join(marks)
        lines.append(
            f"| {label} | {worst:,} / {n:,} | {lost} | {failed} | {given} | {time_text} | "
            f"{slowest:.2f} | {targets} |"
        )
    intro = (
        f"d. faults: {seeds} seeds; on each, the sink fails {FAIL_RATE:.0%} of every request "
        f"(registrations included) with a 5xx from the same seeded sequence for every SDK; "
        f"{n:,} events over {USERS} users, batch size {BATCH}, request timeout {TIMEOUT:g} s."
    )
    return intro + "\n\n" + "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"
