"""Whole-request deadlines and the answer cap, enforced where the bytes move.

httpx's ``timeout`` bounds each read, not a request: a server that sends one byte
every few seconds holds a request for as long as it likes, and a 200 whose body never
ends is read into memory for ever. So every request the transports make runs inside
`request_limits`, which puts its limits in a context variable: a deadline (the
request's own ``timeout``, and never past the deadline of the call it belongs to,
see `call_deadline`), a cap on the bytes of its answer, and a cancel flag. The httpcore
network streams under the SDK's httpx clients (`install`) give every connect, read and
write at most the time left, count the bytes read, and fail the request once either
runs out; httpcore then closes the connection, and httpx raises its ``ReadTimeout`` or
``ReadError``, which the transports classify as transient like any network fault.

Reads of the sync client wait in slices of at most `SLICE` seconds, so `Cancel.cancel`
(at shutdown) ends a request stuck in a read within a slice, on the thread that reads
it: no socket is closed under another thread's feet. An async request is cancelled by
cancelling its task. Name resolution (DNS) runs before any of this and is not bounded.

This is the approach of a deadline checked while streaming (as OTel's exporters and
urllib3's ``total`` timeout mean it), done at the one layer every read passes through:
the generated client, which reads answers whole, needs no change.
"""

from __future__ import annotations

import contextlib
import math
import ssl
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

import httpcore
import httpx

__all__ = [
    "ANSWER_CAP",
    "SLICE",
    "Cancel",
    "call_deadline",
    "install",
    "request_limits",
]

ANSWER_CAP = 64 * 1024
"""Bytes of an answer (status line, headers and body) read at most; past it the
request fails as transient. Trodo's answers are a few dozen bytes."""

SLICE = 0.25
"""Longest wait of one read of the sync client before it looks at its limits again."""


class _Limits:
    """The limits of one request (or of one call, whose requests share its deadline)."""

    __slots__ = ("cancel", "deadline", "left")

    def __init__(self, deadline: float, left: float, cancel: Cancel | None) -> None:
        self.deadline = deadline
        self.left = left  # answer bytes still allowed (math.inf: no cap)
        self.cancel = cancel

    def remaining(self, error: type[Exception]) -> float:
        """Seconds left; raises ``error`` when none are, or when cancelled."""
        if self.cancel is not None and self.cancel.cancelled:
            raise error("the request was cancelled: the client is shutting down")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("the request's deadline (timeout) passed before its answer was complete")
        return left

    def want(self, max_bytes: int) -> int:
        """How much one read may take: never much past the cap."""
        if self.left == math.inf:
            return max_bytes
        return max(1, min(max_bytes, int(self.left) + 1))

    def count(self, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            raise httpcore.ReadError(
                f"the answer is larger than {ANSWER_CAP // 1024} KiB; read no further"
            )


_current: ContextVar[_Limits | None] = ContextVar("trodo_request_limits", default=None)


class Cancel:
    """A transport's cancel switch: once cancelled, its requests under way end and new
    ones fail at once. `wait_idle` lets ``close()`` wait until nothing reads."""

    def __init__(self) -> None:
        self.cancelled = False
        self._active = 0
        self._idle = threading.Condition(threading.Lock())

    def cancel(self) -> None:
        self.cancelled = True

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for requests under way to end; whether they did."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    @contextlib.contextmanager
    def _active_request(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                if not self._active:
                    self._idle.notify_all()


@contextlib.contextmanager
def request_limits(timeout: float, cancel: Cancel | None = None) -> Iterator[None]:
    """One request: done within ``timeout`` (and its call's deadline), its answer
    read up to `ANSWER_CAP`, ended early by ``cancel``."""
    outer = _current.get()
    deadline = time.monotonic() + timeout
    if outer is not None:
        deadline = min(deadline, outer.deadline)
    token = _current.set(_Limits(deadline, ANSWER_CAP, cancel))
    try:
        if cancel is None:
            yield
        else:
            with cancel._active_request():
                yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def call_deadline(deadline: float) -> Iterator[None]:
    """A call made of several requests (registration, then the call, with retries):
    none of them runs past ``deadline`` (``time.monotonic()`` seconds)."""
    token = _current.set(_Limits(deadline, math.inf, None))
    try:
        yield
    finally:
        _current.reset(token)


def _within(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what the current request has left (as it is outside one);
    raises ``error`` when nothing is left."""
    limits = _current.get()
    if limits is None:
        return timeout
    return _cut(timeout, limits.remaining(error))


def _cut(timeout: float | None, left: float) -> float:
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A sync network stream that keeps to the current request's limits."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limits = _current.get()
        if limits is None:
            return self._inner.read(max_bytes, timeout)
        read_until = math.inf if timeout is None else time.monotonic() + timeout
        want = limits.want(max_bytes)
        while True:
            left = limits.remaining(httpcore.ReadTimeout)
            own = read_until - time.monotonic()
            wait = min(SLICE, left, own)
            try:
                data = self._inner.read(want, max(wait, 0.0))
            except httpcore.ReadTimeout:
                if own <= SLICE:
                    raise  # the read's own timeout (httpx's) passed
                continue  # a slice passed: look at the limits again
            limits.count(data)
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout = _within(timeout, httpcore.WriteTimeout)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """The sync network backend of the SDK's pools: connects within the limits."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    """An async network stream that keeps to the current request's limits (a task
    that is cancelled stops reading at once, so no slices are needed)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limits = _current.get()
        if limits is None:
            return await self._inner.read(max_bytes, timeout)
        left = limits.remaining(httpcore.ReadTimeout)
        data = await self._inner.read(limits.want(max_bytes), _cut(timeout, left))
        limits.count(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout = _within(timeout, httpcore.WriteTimeout)
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    """The async network backend of the SDK's pools: connects within the limits."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Put the limits under every connection pool of ``client`` (its own transport and
    any proxy mounts). False if a pool was not httpcore's (nothing was changed there).

    httpx keeps its transports, and httpcore its network backend, in private
    attributes that their constructors take no argument for: they are read from
    the instances' ``vars()`` (httpx 0.28, httpcore 1.0; ``tests/test_hostile_answers.py``
    fails if that ever stops working).
    """
    client_state: dict[str, typing.Any] = vars(client)
    mounts = client_state.get("_mounts") or {}
    transports = [client_state.get("_transport"), *mounts.values()]
    done = True
    for transport in transports:
        if transport is None:
            continue  # a mount that turns proxying off for some hosts
        pool = getattr(transport, "__dict__", {}).get("_pool")
        pool_state: dict[str, object] = getattr(pool, "__dict__", {})
        backend = pool_state.get("_network_backend")
        if backend is None:
            done = False
        elif isinstance(backend, httpcore.NetworkBackend):
            # httpcore hands this backend to every connection the pool makes.
            pool_state["_network_backend"] = _Backend(backend)
        elif isinstance(backend, httpcore.AsyncNetworkBackend):
            pool_state["_network_backend"] = _AsyncBackend(backend)
    return done
