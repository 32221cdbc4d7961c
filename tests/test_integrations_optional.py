"""The integrations need their frameworks only when used: trodo imports without any of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Runs in a fresh interpreter where importing any framework fails, as where it is not installed.
SCRIPT = textwrap.dedent(
    """
    import importlib, sys

    BLOCKED = {"django", "flask", "celery", "starlette", "fastapi", "werkzeug", "kombu"}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, Block())
    import trodo
    import trodo.integrations
    import trodo.integrations.asgi
    import trodo.integrations.logging
    import trodo.integrations.serverless
    assert trodo.current_user() is None
    for name in ("django", "flask", "celery"):
        try:
            importlib.import_module(f"trodo.integrations.{name}")
        except ImportError as error:
            print(f"{name}: {error}")
        else:
            print(f"{name}: imported")
    print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
    """
)


def test_trodo_and_the_framework_free_integrations_import_without_any_framework() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django: trodo.integrations.django needs Django: pip install 'trodo[django]'",
        "flask: trodo.integrations.flask needs Flask: pip install 'trodo[flask]'",
        "celery: trodo.integrations.celery needs Celery: pip install 'trodo[celery]'",
        "loaded: []",
    ]
