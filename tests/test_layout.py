"""The layout's rules, read from the source with ``ast`` (README, "Layout").

ruff enforces the import bans file by file (pyproject.toml and the
ruff.toml of each package); these tests check what a linter cannot see:
the whole import graph, private attributes across modules, module length.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import trodo
from trodo._core.operations import OPERATIONS
from trodo._wire.operations import ENDPOINTS

ROOT = Path(trodo.__file__).parent
# trodo/testing (the mock server) is a package of its own on top of the SDK.
SDK = sorted(p for p in ROOT.rglob("*.py") if "testing" not in p.relative_to(ROOT).parts)
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = ("trodo", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(path: Path) -> Iterator[str]:
    """Every trodo module ``path`` imports, wherever the import stands
    (functions and ``if TYPE_CHECKING:`` included)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import name`: the module pkg.name if there is one, else pkg.
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                for a in node.names
            ]
        else:
            continue
        yield from (name for name in names if name == "trodo" or name.startswith("trodo."))


GRAPH = {name: sorted(set(_imports(path)) - {name}) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else module


def test_no_module_imports_anything_that_imports_it_back() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in GRAPH.get(module, []):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in GRAPH:
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("_core", {"_sync", "_async", "_wire", "testing"}),
        ("_wire", {"_sync", "_async", "testing"}),
        ("_sync", {"_async", "testing"}),
        ("_async", {"_sync", "testing"}),
    ],
)
def test_each_layer_imports_only_the_layers_below_it(layer: str, forbidden: set[str]) -> None:
    wrong = {
        (module, target)
        for module, targets in GRAPH.items()
        if _layer(module) == layer
        for target in targets
        if _layer(target) in forbidden
    }
    assert wrong == set()


def test_the_integrations_use_only_the_public_api_and_the_request_binding() -> None:
    # The outer ring: `trodo`, the binding it shares with trodo.current_user()
    # (`trodo._current`), and each other; never the layers inside.
    allowed = {"trodo", "trodo._current"}
    wrong = {
        (module, target)
        for module, targets in GRAPH.items()
        if _layer(module) == "integrations"
        for target in targets
        if target not in allowed and _layer(target) != "integrations"
    }
    assert {m for m in GRAPH if _layer(m) == "integrations"} >= {"trodo.integrations.asgi"}
    assert wrong == set()


def test_the_mock_server_uses_only_the_public_api() -> None:
    wrong = {
        (module, target)
        for module, targets in GRAPH.items()
        if _layer(module) == "testing" or module == "trodo.testing"
        for target in targets
        if target != "trodo" and not target.startswith("trodo.testing")
    }
    assert "trodo.testing._server" in GRAPH
    assert wrong == set()


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_transports_and_the_wire_layer_import_the_generated_client() -> None:
    importers = {_module_name(path) for path in SDK if "trodo_api" in _imported_names(path)}
    allowed = {"trodo._sync.transport", "trodo._async.transport"}
    assert {m for m in importers if _layer(m) != "_wire"} <= allowed


def test_asyncio_is_imported_only_by_the_async_twin() -> None:
    importers = {_module_name(path) for path in SDK if "asyncio" in _imported_names(path)}
    # trodo.integrations (the ASGI middleware, flush_after) runs in the app's own
    # loop, and `import trodo` never imports it.
    assert {_layer(m) for m in importers} <= {"_async", "integrations"}


def _defined_private_names(tree: ast.Module) -> set[str]:
    """Underscored names a module defines: functions, classes, attributes set on
    ``self`` or declared in a class body, ``__slots__`` entries, module globals."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return {n for n in names if n.startswith("_")}


# The delivery policy's state machine, the batches and tickets it hands out,
# and its two mixins (held-back events, refusal episodes) are one unit in four
# files (each stays short).
UNIT = ("trodo._core.policy", "trodo._core.batches", "trodo._core.held", "trodo._core.refusals")
ONE_UNIT = {(a, b) for a in UNIT for b in UNIT if a != b}


def test_no_module_reaches_into_another_modules_private_attributes() -> None:
    defined = {
        _module_name(path): _defined_private_names(ast.parse(path.read_text())) for path in SDK
    }
    friends: dict[str, set[str]] = {}
    for a, b in ONE_UNIT:
        friends.setdefault(a, set()).add(b)
    violations = []
    for path in SDK:
        module = _module_name(path)
        own = defined[module].union(*(defined[f] for f in friends.get(module, ())))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in own:
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and getattr(base.func, "id", None) == "super":
                continue
            violations.append(f"{module}:{node.lineno} .{name}")
    assert violations == []


def test_no_module_is_longer_than_the_layout_allows() -> None:
    # Every module in trodo/: the SDK, trodo/integrations and trodo/testing.
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {"trodo.integrations.asgi", "trodo.testing._server"} <= set(lengths)
    assert {m: n for m, n in lengths.items() if n > MAX_LINES} == {}


def test_every_operation_has_exactly_one_wire_entry() -> None:
    assert list(ENDPOINTS) == list(OPERATIONS)
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)


def test_the_sync_and_async_twins_have_files_of_the_same_names() -> None:
    def names(package: str) -> set[str]:
        return {p.stem for p in (ROOT / package).glob("*.py")}

    assert names("_async") - names("_sync") == {"loop"}
    assert names("_sync") - names("_async") == set()


def _readme_layout() -> dict[str, set[str]]:
    """The README's Layout diagram: the file names it lists under trodo/ and under
    each of its packages ("" for trodo/ itself)."""
    readme = (ROOT.parent / "README.md").read_text()
    block = readme.split("### Layout", 1)[1].split("```", 2)[1]
    listed: dict[str, set[str]] = {}
    package = None
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        entry = line.strip().split("  ", 1)[0]
        if indent == 0:
            package = "" if entry == "trodo/" else None
        elif package is not None and indent == 2 and entry.endswith("/"):
            package = entry.rstrip("/")
            listed.setdefault(package, set())
        elif package is not None and indent == 2:
            listed.setdefault("", set()).update(entry.split(", "))
        elif package is not None and indent == 4:
            listed.setdefault(package, set()).update(entry.split(", "))
    return listed


def test_the_readme_layout_shows_every_module_where_it_lives() -> None:
    listed = _readme_layout()
    # "_async/: the same files, plus loop.py"
    listed["_async"] |= listed["_sync"]
    actual: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) > 2 or (len(parts) == 2 and parts[1] == "__init__.py"):
            continue  # a package's __init__ is the package's own line
        actual.setdefault(parts[0] if len(parts) == 2 else "", set()).add(parts[-1])
    shown = {package: {n for n in names if n.endswith(".py")} for package, names in listed.items()}
    assert shown == actual
