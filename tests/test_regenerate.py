"""generated/ is exactly what the pinned generator makes of openapi/trodo.yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, SPEC_PATH

SCRIPT = ROOT / "scripts" / "regenerate.py"


def _check(spec: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--spec", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_client_matches_a_fresh_regeneration() -> None:
    result = _check(SPEC_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_spec_edit_without_regenerating_is_detected(tmp_path: Path) -> None:
    edited = tmp_path / "trodo.yaml"
    text = SPEC_PATH.read_text()
    assert text.count("walletAddress") >= 3
    # Rename the field everywhere (example, required list, property).
    edited.write_text(text.replace("walletAddress", "walletAddr"))
    result = _check(edited)
    assert result.returncode == 1
    assert "models/wallet_address_request.py" in result.stdout
