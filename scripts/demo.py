"""`make demo`: run examples/quickstart.py against a local mock Trodo server.

Prints every request the server received, then exits non-zero if the example
failed or any request broke the API spec.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trodo.testing import MockTrodoServer
from trodo.testing._cli import RequestPrinter

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def main() -> int:
    with MockTrodoServer() as server:
        # Answer identify as a Trodo server that merges identities does.
        server.merge_on_identify = True
        env = {**os.environ, "TRODO_SITE_ID": server.site_id, "TRODO_API_BASE": server.url}
        print(f"$ python examples/quickstart.py   (TRODO_API_BASE={server.url})")
        example = subprocess.run([sys.executable, str(EXAMPLE)], env=env, check=False)
        print(f"\nThe mock Trodo server received {len(server.requests)} requests:")
        printer = RequestPrinter(sys.stdout)
        for request in server.requests:
            printer(request)
        if server.violations:
            print(f"\n{len(server.violations)} request(s) broke the API spec:", file=sys.stderr)
            for violation in server.violations:
                print(f"  {violation}", file=sys.stderr)
            return 1
        if example.returncode != 0:
            print(f"\nthe example exited with {example.returncode}", file=sys.stderr)
            return example.returncode
        print("\nEvery request followed openapi/trodo.yaml.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
