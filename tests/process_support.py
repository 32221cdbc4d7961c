"""Run an app the way its README section says, in a real process, and end it with a signal.

One :class:`AppProcess` per case: the app file from ``tests/apps/`` is copied into
a fresh temporary folder under the name the command line expects, started with
that command line in its own process group (so the whole tree can be killed), its
port waited for, driven with real HTTP requests, then stopped with SIGTERM; its
exit status and output are kept. Every wait has a deadline; a case that overruns
kills the whole tree and fails, so no case can hang the suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from trodo.testing import MockTrodoServer

APPS = Path(__file__).resolve().parent / "apps"
BIN = Path(sys.executable).parent
# Generous: a loaded 2-core machine may take seconds to import a framework.
STARTUP = 60.0
ENDING = 45.0


def free_port() -> int:
    """A port the OS has just handed out on 127.0.0.1 (free unless taken since)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}")
        time.sleep(0.05)


class AppProcess:
    """One app, started by its command line in a temporary folder of its own.

    ``files`` maps a name in the folder to an app file in ``tests/apps/``;
    ``command`` is run there (``{port}`` replaced by a free port, a leading
    program name looked up beside this Python). ``env`` is added to the
    environment, which points the SDK at ``server``.
    """

    def __init__(
        self,
        server: MockTrodoServer,
        command: Sequence[str],
        files: dict[str, str],
        env: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="trodo-app-"))
        for name, source in files.items():
            shutil.copy(APPS / source, self.folder / name)
        program, *args = (part.format(port=self.port) for part in command)
        if (BIN / program).exists():
            program = str(BIN / program)
        self.command = [program, *args]
        self.env = {
            **os.environ,
            "TRODO_SITE_ID": server.site_id,
            "TRODO_API_BASE": server.url,
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("TRODO_DEBUG", None)
        self._log = self.folder / "output.log"
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> AppProcess:
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                self.command,
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole at the end
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill_tree()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    def kill_tree(self) -> None:
        """SIGKILL the app and everything it started (its process group)."""
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)

    def output(self) -> str:
        """Everything the app printed so far (stdout and stderr together)."""
        return self._log.read_text(errors="replace")

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- waiting --------------------------------------------------------------------------

    def wait_for_port(self, timeout: float = STARTUP) -> None:
        """Until the app accepts connections on its port; fails if it exits first."""

        def listening() -> bool:
            if not self.running():
                raise AssertionError(f"the app exited before listening:\n{self.output()}")
            with socket.socket() as sock:
                sock.settimeout(0.5)
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        self._within(listening, timeout, "the app to listen")

    def wait_for_output(self, text: str, timeout: float = STARTUP, count: int = 1) -> None:
        """Until the app has printed ``text`` (``count`` times); fails if it exits first."""

        def printed() -> bool:
            if self.output().count(text) >= count:
                return True
            if not self.running():
                raise AssertionError(f"the app exited before printing {text!r}:\n{self.output()}")
            return False

        self._within(printed, timeout, f"the app to print {text!r}")

    def _within(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            until(condition, timeout, what)
        except AssertionError as error:
            self.kill_tree()
            raise AssertionError(f"{error}\n--- app output ---\n{self.output()}") from None

    # -- driving --------------------------------------------------------------------------

    def get(self, path: str, client: httpx.Client | None = None) -> httpx.Response:
        """One GET to the app, which must answer 200."""
        url = f"http://127.0.0.1:{self.port}{path}"
        response = (client or httpx).get(url, timeout=STARTUP)
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
        return response

    def hit(self, paths: Iterable[str], concurrency: int = 1) -> None:
        """GET every path (``concurrency`` at a time); each must answer 200."""
        paths = list(paths)
        with httpx.Client() as client:
            if concurrency == 1:
                for path in paths:
                    self.get(path, client)
                return
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(lambda p: self.get(p, client), paths))

    # -- ending ---------------------------------------------------------------------------

    def signal(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to the app's main process only (as Docker and systemd do)."""
        os.kill(self.pid, signum)

    def wait_for_exit(self, timeout: float = ENDING) -> int:
        """The exit status (negative: killed by that signal). The tree is killed
        and the test fails if the app is still running after ``timeout``."""
        assert self._proc is not None
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            raise AssertionError(
                f"the app did not end within {timeout:g}s\n--- app output ---\n{self.output()}"
            ) from None

    def terminate(self, timeout: float = ENDING) -> int:
        """SIGTERM the app and wait for it to end; returns its exit status."""
        self.signal(signal.SIGTERM)
        return self.wait_for_exit(timeout)


def hit_ids(events: Iterable[Any], name: str = "hit") -> Counter[int]:
    """How many times each ``i`` arrived among the events named ``name``."""
    return Counter(int(e["custom_properties"]["i"]) for e in events if e["event_name"] == name)


def exactly_once(n: int) -> Counter[int]:
    """What :func:`hit_ids` holds when ``n`` hits each arrived once."""
    return Counter(range(n))


def lost_reports(output: str) -> Counter[str]:
    """Events the apps' ``on_error`` printed as lost (``LOST <reason> <count>``), by reason."""
    lost: Counter[str] = Counter()
    for line in output.splitlines():
        if line.startswith("LOST "):
            _, reason, count = line.split()
            lost[reason] += int(count)
    return lost


@contextlib.contextmanager
def app(
    server: MockTrodoServer,
    command: Sequence[str],
    files: dict[str, str],
    env: dict[str, str] | None = None,
) -> Iterator[AppProcess]:
    """:class:`AppProcess` as a context manager (the tree is killed when it ends)."""
    with AppProcess(server, command, files, env) as process:
        yield process
