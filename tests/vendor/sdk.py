"""The vendor's SDK (trodo-python 2.26.2) in a venv of its own, driven against a mock server.

Its import name is ``trodo``, like ours, so it cannot share this venv: it is
installed once from PyPI into ``.venv/vendor/`` (kept between runs, made again
from a fresh clone) and run in a subprocess with ``python -I``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trodo.testing import MockTrodoServer, RecordedRequest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = "trodo-python==2.26.2"
VENV = ROOT / ".venv" / "vendor" / "trodo-python-2.26.2"
DRIVER = Path(__file__).with_name("drive_trodo_python.py")
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 120


def vendor_python() -> Path:
    """The interpreter of the vendor SDK's venv, made (once) if missing."""
    python = VENV / "bin" / "python"
    if (VENV / ".installed").exists():
        return python
    building = VENV.with_name(f"{VENV.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(building)],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    # This venv's pip installs into the other one: no pip bootstrap there.
    pip = [sys.executable, "-m", "pip", "--python", str(building / "bin" / "python")]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-input", "--disable-pip-version-check", VENDOR],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    (building / ".installed").write_text(VENDOR + "\n")
    shutil.rmtree(VENV, ignore_errors=True)
    building.rename(VENV)  # a venv found by pyvenv.cfg beside its python: it moves intact
    return python


@dataclass(frozen=True)
class VendorRun:
    """What the vendor SDK sent to the mock server, and what its calls returned."""

    version: str
    requests: list[RecordedRequest]
    returned: dict[str, Any]


def run_vendor_driver() -> VendorRun:
    """Drive every profile, group and upsert call of the vendor SDK against a mock server."""
    return run_driver(vendor_python())


def run_driver(python: Path) -> VendorRun:
    """The vendor-style driver run by ``python`` (the vendor's venv, or ours)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"  # requests reads proxies from env
    with MockTrodoServer() as server:
        result = subprocess.run(
            [str(python), "-I", str(DRIVER), server.url, server.site_id],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env=env,
            check=False,
        )
        requests = server.requests
    if result.returncode != 0:
        raise AssertionError(
            f"driver failed under {python} ({result.returncode}):\n{result.stderr}"
        )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return VendorRun(report["version"], requests, report["returned"])
