"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "trodo.yaml"


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """openapi/trodo.yaml as a plain dict."""
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture
def default_client() -> Iterator[None]:
    """Isolate the module-level default client: shut down and forgotten after the test."""
    import trodo

    yield
    if trodo._default is not None:
        trodo._default.shutdown()
    trodo._default = None
