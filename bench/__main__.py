"""Run every scenario side by side and print one markdown table: ``python -m bench``.

Starts the sink in its own process, measures its capacity, runs each scenario in a fresh
process (repeated, interleaved, medians taken), times imports in fresh interpreters, and
prints the table. ``--write`` also writes bench/RESULTS.md with the date and machine facts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import faults
from bench.report import Outcome, capacity_line, machine_facts, table
from bench.scenarios import UNAVAILABLE
from bench.workload import USERS

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / ".out"
RESULTS = ROOT / "bench" / "RESULTS.md"
BATCH_SCENARIOS = ("floor", "floor_orjson", "trodo_batch", "posthog", "segment")
SINGLE_SCENARIOS = ("raw_single", "trodo_single")
IMPORT_CODE = (
    "import time; start = time.perf_counter(); {statement}; "
    "print((time.perf_counter() - start) * 1e3)"
)
# trodo loads its HTTP stack with the first client, so the import alone is not
# the whole start-up cost: the first client is timed beside httpx's.
IMPORT_STATEMENTS = {
    "httpx": "import httpx",
    "trodo": "import trodo",
    "httpx_client": "import httpx; httpx.Client()",
    # get_httpx_client(): the generated client makes its httpx.Client on first use.
    "trodo_client": "import trodo; trodo.TrodoClient('bench').api_client.get_httpx_client()",
}


class Sink:
    """The sink's process, and the control calls the driver makes to it."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.sink"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError("the sink did not start")

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method="POST" if data else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def reset(self, expected: int) -> None:
        self._call("/_sink/reset", {"expected": expected})

    def reset_faults(self, expected: int, fail_rate: float, seed: int) -> None:
        """A new tally that fails ``fail_rate`` of every request, drawn from ``seed``."""
        self._call("/_sink/reset", {"expected": expected, "fail_rate": fail_rate, "seed": seed})

    def stats(self) -> dict[str, Any]:
        return self._call("/_sink/stats")

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def _run_scenario(
    sink: Sink, name: str, n: int, expected: int, repeat: int
) -> Outcome | dict[str, Any]:
    """One fresh process of scenario ``name``: its figures and the sink's tally, or why not."""
    sink.reset(expected)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}-{repeat}.log"
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "bench.scenarios", name, "--sink", sink.url, "--n", str(n)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=900,
            check=False,
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode == UNAVAILABLE and lines:
        return Outcome(unavailable=json.loads(lines[-1])["unavailable"])
    if done.returncode != 0 or not lines:
        last = log.read_text().strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return Outcome(failed=f"failed: {last[0][:120]} (see {log.relative_to(ROOT)})")
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures | sink.stats()


def _import_ms(statement: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CODE.format(statement=statement)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def _print(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _capacity(sink: Sink) -> dict[str, dict[str, float]]:
    _print(f"sink at {sink.url}; measuring its capacity")
    measured: dict[str, dict[str, float]] = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bench.capacity", "--sink", sink.url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return measured


def _run_scenarios(
    sink: Sink, args: argparse.Namespace, chosen: set[str], outcomes: dict[str, Outcome]
) -> None:
    """Every chosen scenario, ``args.repeats`` times, interleaved."""
    plan = [(name, args.n, args.n) for name in BATCH_SCENARIOS if name in chosen]
    # One-at-a-time scenarios first send one untimed event per user (ids n..n+USERS-1).
    plan += [
        (name, args.single_n, args.single_n + USERS) for name in SINGLE_SCENARIOS if name in chosen
    ]
    for repeat in range(1, args.repeats + 1):
        for name, n, expected in plan:
            outcome = outcomes.setdefault(name, Outcome())
            if outcome.unavailable or outcome.failed:
                continue
            clock = time.perf_counter()
            result = _run_scenario(sink, name, n, expected, repeat)
            if isinstance(result, Outcome):
                outcomes[name] = result
                _print(f"{name} run {repeat}: {result.unavailable or result.failed}")
            else:
                outcome.runs.append(result)
                _print(f"{name} run {repeat}: {time.perf_counter() - clock:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="also write bench/RESULTS.md")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=100_000, help="events of the batch scenarios")
    parser.add_argument("--single-n", type=int, default=5_000, help="events sent one at a time")
    parser.add_argument("--import-runs", type=int, default=20, help="interpreters per repeat")
    parser.add_argument("--fault-seeds", type=int, default=5, help="seeds of the fault table")
    parser.add_argument("--fault-n", type=int, default=3_000, help="events per fault run")
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        help="a subset of scenarios (and 'import', 'faults': the fault table alone)",
    )
    args = parser.parse_args(argv)
    chosen = set(args.only or [*BATCH_SCENARIOS, *SINGLE_SCENARIOS, "import", "faults"])
    fault_text = ""

    started = datetime.now(UTC)
    sink = Sink()
    outcomes: dict[str, Outcome] = {}
    try:
        capacity = {} if chosen == {"faults"} else _capacity(sink)
        _run_scenarios(sink, args, chosen, outcomes)
        if "faults" in chosen:
            fault_outcomes = faults.run_all(sink, args.fault_seeds, args.fault_n, LOGS, _print)
            fault_text = faults.table(fault_outcomes, args.fault_seeds, args.fault_n)
    finally:
        sink.close()

    if "import" in chosen:
        runs: dict[str, list[float]] = {name: [] for name in IMPORT_STATEMENTS}
        for repeat in range(1, args.repeats + 1):
            samples: dict[str, list[float]] = {name: [] for name in IMPORT_STATEMENTS}
            for _ in range(args.import_runs):
                for name, values in samples.items():  # interleaved: drift hits all alike
                    values.append(_import_ms(IMPORT_STATEMENTS[name]))
            for name, values in samples.items():
                runs[name].append(statistics.median(values))
            _print(f"import run {repeat}: done")
        for name, medians in runs.items():
            outcomes[f"import_{name}"] = Outcome(runs=[{"import_ms": ms} for ms in medians])

    if chosen == {"faults"}:
        print(fault_text)
        if args.write:
            _write_fault_section(started, fault_text)
        return
    text = "\n".join(
        [capacity_line(capacity, outcomes), "", table(outcomes, args.n, args.single_n)]
    )
    print(text + (f"\n\n{fault_text}" if fault_text else ""))
    if args.write:
        facts = "\n".join(f"- {fact}" for fact in machine_facts())
        RESULTS.write_text(
            f"# Benchmark results\n\nMeasured {started:%Y-%m-%d %H:%M} UTC with "
            f"`make bench ARGS=--write` ({args.repeats} runs of each scenario, medians).\n\n"
            f"{facts}\n\n{text}\n\nHow to read this: bench/README.md.\n"
        )
        if fault_text:
            _write_fault_section(started, fault_text)
        _print(f"wrote {RESULTS.relative_to(ROOT)}")


FAULT_HEADING = "## Fault table"


def _write_fault_section(started: datetime, fault_text: str) -> None:
    """``--only faults --write``: replace only the fault table's section of RESULTS.md."""
    previous = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head = previous.split(FAULT_HEADING, 1)[0].rstrip()
    load = os.getloadavg()
    section = (
        f"{FAULT_HEADING}\n\nMeasured {started:%Y-%m-%d %H:%M} UTC with "
        '`make bench ARGS="--only faults --write"` (load average '
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end).\n\n{fault_text}\n"
    )
    RESULTS.write_text(f"{head}\n\n{section}")
    _print(f"wrote the fault section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
