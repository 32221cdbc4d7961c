"""Regenerate generated/trodo_api from openapi/trodo.yaml.

Usage:
    python scripts/regenerate.py           # rewrite generated/trodo_api
    python scripts/regenerate.py --check   # exit 1 if generated/ is stale

The pinned openapi-python-client writes into a temporary folder, the pinned
ruff formats it there, a py.typed marker is added (``--meta none`` writes
none), and only then is the result swapped in. Generating beside the tree and
swapping means stray files never survive a regeneration, and a failed run
leaves the committed client untouched.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "trodo.yaml"
CONFIG = ROOT / "openapi" / "generator.yaml"
TARGET = ROOT / "generated" / "trodo_api"
# The generated code follows its own style, not the project's lint rules.
RUFF_ARGS = ["--isolated", "--line-length", "120", "--target-version", "py311"]


def _bin(name: str) -> str:
    """Find a console script next to this interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"regenerate: {name} not found; run `make setup` first")
    return found


def generate(spec: Path, out_dir: Path) -> Path:
    """Generate, format and mark the package into ``out_dir``; return its path."""
    package = out_dir / "trodo_api"
    subprocess.run(
        [
            _bin("openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(package),
            "--fail-on-warning",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ruff = _bin("ruff")
    subprocess.run(
        [ruff, "check", "--fix-only", "--select", "I,F401", "--quiet", *RUFF_ARGS, str(package)],
        check=True,
    )
    subprocess.run([ruff, "format", "--quiet", *RUFF_ARGS, str(package)], check=True)
    (package / "py.typed").write_text("")
    shutil.rmtree(package / ".ruff_cache", ignore_errors=True)
    return package


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on either side too)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        out.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        out.extend(prefix + n for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=["__pycache__", ".ruff_cache"]), "")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated/ is stale")
    parser.add_argument("--spec", type=Path, default=SPEC, help="spec to generate from")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="trodo-regen-") as tmp:
        fresh = generate(args.spec, Path(tmp))
        if args.check:
            stale = (
                differences(fresh, TARGET) if TARGET.exists() else ["(generated/trodo_api missing)"]
            )
            if stale:
                print(
                    "generated/trodo_api is stale; run `make regenerate`. Differs:",
                    *stale,
                    sep="\n  ",
                )
                return 1
            print("generated/trodo_api matches openapi/trodo.yaml")
            return 0
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        old = TARGET.with_name(".trodo_api.old")
        shutil.rmtree(old, ignore_errors=True)
        if TARGET.exists():
            TARGET.rename(old)
        shutil.move(str(fresh), TARGET)
        shutil.rmtree(old, ignore_errors=True)
    print(f"regenerated {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
