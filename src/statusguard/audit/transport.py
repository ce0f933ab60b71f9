"""How a probe reaches the application: in process through a guard, or over a raw socket.

Every transport answers ``send(request, timeout)`` with an :class:`~statusguard._client.Exchange`
carrying the response and the violations of that one response.  In process, the app runs
behind a ``WSGIStatusGuard``/``ASGIStatusGuard`` (so ``--mode`` applies and the violations are
the guard's own); a WSGI request runs on a thread of its own and an ASGI app on an event loop
thread, so that a request that hangs is abandoned after ``timeout`` and the audit goes on.
Over the wire, each request has a connection of its own (``Connection: close``) and the bytes
the server sent are judged by ``statusguard.check``: the server's own behaviour is included.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import logging
import socket
import threading
import time
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from .._capture import CaptureError, parse_responses
from .._client import (
    USER_AGENT,
    AppError,
    ASGIApp,
    Exchange,
    Request,
    _lifespan,
    _send_one,
    send_wsgi,
)
from ..asgi import ASGIStatusGuard
from ..errors import StatusGuardWarning
from ..model import Violation
from ..responses import check
from ..wsgi import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "ASGITransport",
    "ProbeTimeoutError",
    "Transport",
    "TransportError",
    "WSGITransport",
    "WireTransport",
    "parse_base_url",
]

# The report is the output: the guard's own log lines would only repeat it.  A logger outside
# logging's registry (no parent, one NullHandler) is one nothing else can attach handlers to.
_SILENT = logging.Logger("statusguard.audit")
_SILENT.addHandler(logging.NullHandler())

# The violations of the request being served, wherever the guard reports them from: a WSGI
# request's own thread, an ASGI request's own task (and the threads and tasks it starts, which
# inherit the context).  A request abandoned after its timeout reports into its own list.
_COLLECTOR: contextvars.ContextVar[list[Violation] | None] = contextvars.ContextVar(
    "statusguard_audit_collector", default=None
)


def _collect(violation: Violation) -> None:
    collector = _COLLECTOR.get()
    if collector is not None:
        collector.append(violation)


class TransportError(Exception):
    """A probe got no response to judge: the message says what failed."""


class ProbeTimeoutError(TransportError):
    """No complete response within the timeout."""


class ProtocolError(TransportError):
    """The server answered, but not with HTTP."""


class WireConnectionError(TransportError):
    """The connection to the server failed."""


class Transport(Protocol):
    label: str

    def send(self, request: Request, timeout: float) -> tuple[Exchange, list[Violation]]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class GuardOptions:
    mode: str
    server: str
    server_date: str

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "server": self.server,
            "server_date": self.server_date,
            "on_violation": _collect,
            "logger": _SILENT,
        }


def _timed_out(request: Request, timeout: float) -> Exchange:
    exchange = Exchange(request)
    exchange.error = ProbeTimeoutError(f"no complete response within {timeout:g} s (--timeout)")
    return exchange


class WSGITransport:
    """A WSGI app in process, behind a guard; each request on a thread of its own."""

    def __init__(self, label: str, app: WSGIApplication, options: GuardOptions) -> None:
        self.label = label
        self.guard = WSGIStatusGuard(app, **options.as_kwargs())

    def send(self, request: Request, timeout: float) -> tuple[Exchange, list[Violation]]:
        seen: list[Violation] = []
        result: list[Exchange] = []

        def run() -> None:
            _COLLECTOR.set(seen)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatusGuardWarning)
                result.append(send_wsgi(cast("WSGIApplication", self.guard), request))

        # A daemon thread: a request that never ends must not keep the process alive.
        thread = threading.Thread(target=run, name=f"statusguard-check {request}", daemon=True)
        thread.start()
        thread.join(timeout)
        if not result:
            return _timed_out(request, timeout), []
        return result[0], list(seen)

    def close(self) -> None:
        pass


class ASGITransport:
    """An ASGI app in process, behind a guard, inside its lifespan, on an event loop thread."""

    def __init__(
        self, label: str, app: ASGIApp, options: GuardOptions, startup_timeout: float
    ) -> None:
        self.label = label
        self.guard = cast(ASGIApp, ASGIStatusGuard(app, **options.as_kwargs()))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="statusguard-check event loop", daemon=True
        )
        self._thread.start()
        self._stack = contextlib.AsyncExitStack()
        self._state: dict[str, Any] = {}
        try:
            self._state = self._run(self._start(), startup_timeout)
        except concurrent.futures.TimeoutError:
            self._stop()
            raise AppError(
                f"the app's lifespan startup did not finish within {startup_timeout:g} s"
            ) from None
        except BaseException:
            self._stop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    async def _start(self) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatusGuardWarning)
            return await self._stack.enter_async_context(_lifespan(self.guard))

    async def _one(self, request: Request, seen: list[Violation]) -> Exchange:
        _COLLECTOR.set(seen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatusGuardWarning)
            return await _send_one(self.guard, request, self._state)

    def send(self, request: Request, timeout: float) -> tuple[Exchange, list[Violation]]:
        seen: list[Violation] = []
        try:
            exchange = self._run(self._one(request, seen), timeout)
        except concurrent.futures.TimeoutError:
            return _timed_out(request, timeout), []
        return cast(Exchange, exchange), list(seen)

    def close(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self._run(self._stack.aclose(), 5.0)
        finally:
            self._stop()

    def _stop(self) -> None:
        async def cancel_the_rest() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0) if pending else None

        with contextlib.suppress(Exception):
            self._run(cancel_the_rest(), 2.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        if not self._loop.is_running():
            self._loop.close()


# -- over the wire ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseURL:
    host: str
    port: int
    prefix: str

    def __str__(self) -> str:
        return f"http://{self.host}:{self.port}{self.prefix}"


def parse_base_url(text: str) -> BaseURL:
    """``http://HOST:PORT[/prefix]``; raises :class:`AppError` for anything else."""
    parts = urlsplit(text)
    if parts.scheme != "http":
        raise AppError(
            f"a base URL must start with http:// (plain HTTP/1.1 over a socket), not {text!r}"
        )
    try:
        port = parts.port or 80
    except ValueError:
        raise AppError(f"the port of {text!r} is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise AppError(f"{text!r} names no host")
    if parts.query or parts.fragment:
        raise AppError(f"a base URL has no query or fragment: {text!r}")
    return BaseURL(parts.hostname, port, parts.path.rstrip("/"))


class WireTransport:
    """A running server, over a raw socket: one connection per request."""

    def __init__(self, base: BaseURL, connect_timeout: float) -> None:
        self.base = base
        self.label = str(base)
        try:
            with socket.create_connection((base.host, base.port), timeout=connect_timeout):
                pass
        except OSError as exc:
            raise AppError(
                f"cannot connect to {base.host}:{base.port}: {exc.strerror or exc}"
            ) from None

    def _request_bytes(self, request: Request) -> bytes:
        host = self.base.host if self.base.port == 80 else f"{self.base.host}:{self.base.port}"
        lines = [
            f"{request.method} {self.base.prefix}{request.path} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {USER_AGENT}",
            *(f"{name}: {value}" for name, value in request.headers),
            "Connection: close",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _receive(self, request: Request, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        with socket.create_connection((self.base.host, self.base.port), timeout=timeout) as sock:
            sock.sendall(self._request_bytes(request))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProbeTimeoutError(
                        f"the response did not end within {timeout:g} s (--timeout)"
                        + (f"; {sum(map(len, chunks))} bytes arrived" if chunks else "")
                    )
                sock.settimeout(remaining)
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                except ConnectionResetError:
                    if chunks:
                        break  # what arrived is judged; the reset is the end
                    raise
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks)

    def send(self, request: Request, timeout: float) -> tuple[Exchange, list[Violation]]:
        exchange = Exchange(request)
        try:
            data = self._receive(request, timeout)
        except ProbeTimeoutError as exc:
            exchange.error = exc
            return exchange, []
        except OSError as exc:
            exchange.error = WireConnectionError(
                f"the connection to {self.base.host}:{self.base.port} failed: "
                f"{exc.strerror or exc}"
            )
            return exchange, []
        if not data:
            exchange.error = ProtocolError("the server closed the connection without a byte")
            return exchange, []
        try:
            responses = parse_responses(data)
        except CaptureError as exc:
            exchange.error = ProtocolError(f"the server's answer is not HTTP: {exc}")
            return exchange, []
        final = next((r for r in responses if not r.interim), responses[-1])
        exchange.status = final.status
        exchange.reason = None if final.reason is None else final.reason.decode("latin-1")
        exchange.headers = list(final.headers)
        exchange.body = final.body
        violations = check(
            final.status_line,
            final.headers,
            final.body,
            method=request.method,
            http_version=final.http_version,
            request_headers=request.headers,
        )
        return exchange, violations

    def close(self) -> None:
        pass
