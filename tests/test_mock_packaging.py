"""The spec ships inside the built wheel, so trodo.testing works from an installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGED_SPEC = "trodo/testing/trodo.yaml"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the project (the checkout stays free of build output)."""
    source = tmp_path_factory.mktemp("source")
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", "*.egg-info")
    for name in ["trodo", "generated", "openapi"]:
        # symlinks=True: the copy keeps the package's relative symlink to openapi/.
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("trodo-*.whl")
    return built


def test_package_spec_is_a_symlink_to_the_one_spec() -> None:
    packaged = ROOT / PACKAGED_SPEC
    assert packaged.is_symlink()
    assert packaged.resolve() == (ROOT / "openapi" / "trodo.yaml").resolve()


def test_wheel_holds_the_spec_as_a_file_with_its_content(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(PACKAGED_SPEC) == (ROOT / "openapi" / "trodo.yaml").read_bytes()


def test_mock_server_validates_with_the_spec_from_the_wheel(wheel: Path) -> None:
    # Imported from the wheel itself (zipimport), not from the checkout.
    code = textwrap.dedent(
        """
        import httpx
        import trodo.testing
        from trodo.testing import MockTrodoServer

        print(trodo.testing.__file__)
        with MockTrodoServer() as server:
            response = httpx.post(server.url + "/api/events/bulk", json={"events": []},
                                  headers={"X-Trodo-Site-Id": "s"})
            print(response.status_code, server.violations[0].message)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        # Not in the checkout: "-c" puts the working directory first on sys.path.
        cwd=wheel.parent,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module_file, answer = result.stdout.splitlines()
    assert module_file.startswith(str(wheel))
    assert answer == "400 body/events: [] should be non-empty"


LIVE_PAGE_FILES = ["index.html", "live.js", "live.css", "icon.svg"]


def test_wheel_holds_the_live_page_files(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for name in LIVE_PAGE_FILES:
            packaged = archive.read(f"trodo/testing/_page/{name}")
            assert packaged == (ROOT / "trodo" / "testing" / "_page" / name).read_bytes(), name


def test_mock_server_serves_the_live_page_from_the_wheel(wheel: Path) -> None:
    code = textwrap.dedent(
        """
        import httpx
        import trodo.testing
        from trodo.testing import MockTrodoServer

        print(trodo.testing.__file__)
        with MockTrodoServer() as server:
            for path in ["/", "/_trodo/assets/live.js", "/_trodo/assets/live.css"]:
                response = httpx.get(server.url + path)
                print(path, response.status_code, len(response.content))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=wheel.parent,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module_file, *answers = result.stdout.splitlines()
    assert module_file.startswith(str(wheel))
    page = ROOT / "trodo" / "testing" / "_page"
    assert answers == [
        f"/ 200 {len((page / 'index.html').read_bytes())}",
        f"/_trodo/assets/live.js 200 {len((page / 'live.js').read_bytes())}",
        f"/_trodo/assets/live.css 200 {len((page / 'live.css').read_bytes())}",
    ]
