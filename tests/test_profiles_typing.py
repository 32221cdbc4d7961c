"""Typed code gets precise types from the profile, group and upsert API (mypy --strict)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
CHECKED = Path(__file__).parent / "typing" / "profiles_typed.py"


def _mypy(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    # The project's mypy settings (pyproject.toml: generated/ on the path, strict).
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )


def test_the_profile_api_is_precisely_typed_for_both_clients(tmp_path: Path) -> None:
    result = _mypy(CHECKED, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expectation_fails_the_check(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from typing import assert_type\nimport trodo\n\n"
        "def f(c: trodo.TrodoClient) -> None:\n"
        "    assert_type(c.people_set('u', {}), dict)\n"
    )
    result = _mypy(wrong, tmp_path / "cache")
    assert result.returncode == 1
    assert 'Expression is of type "WriteResult"' in result.stdout


def test_a_misspelt_or_vendor_only_name_is_a_type_error(tmp_path: Path) -> None:
    # The runtime __getattr__ (lazy async client, the vendor's names) is hidden from mypy.
    wrong = tmp_path / "misspelt.py"
    wrong.write_text(
        "import trodo\n\n"
        "def f(c: trodo.TrodoClient) -> None:\n"
        "    c.people_sett('u', {})\n"
        "    c.wrap_agent('agent')\n"
        "    trodo.trak('u', 'e')\n"
        "    trodo.AsyncTrodoClient('site')\n"
    )
    result = _mypy(wrong, tmp_path / "cache")
    assert result.returncode == 1
    assert '"TrodoClient" has no attribute "people_sett"' in result.stdout
    assert '"TrodoClient" has no attribute "wrap_agent"' in result.stdout
    assert 'Module has no attribute "trak"' in result.stdout
    assert "AsyncTrodoClient" not in result.stdout
