"""``StatusGuardMiddleware``: statusguard inside Django's request cycle, sync and async.

Put it first in ``MIDDLEWARE`` (outermost) so it sees the response every other middleware has
finished with -- ``CommonMiddleware`` adds ``Content-Length`` even to a 204.  The head is
repaired on the response object before Django hands it to the server; content is only ever
discarded or truncated, and a stream stays a stream.

``server_date="auto"`` follows the server: for a WSGI request the one ``SERVER_SOFTWARE`` names
(gunicorn replaces the app's Date, runserver and wsgiref add one only when absent, the werkzeug
dev server always adds one); for an ASGI request the app's Date is dropped, as uvicorn and
hypercorn add their own.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.handlers.asgi import ASGIRequest
from django.core.signals import setting_changed
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from ...engine import Config, Engine, ResponseCheck, headers_to_bytes
from ...errors import StatusGuardError
from ...model import Head
from ...report import Stats
from ...rules.framing import NO_CONTENT_STATUSES
from ...wsgi import server_date_policy
from .conf import SETTING, build_config, read_setting

__all__ = ["StatusGuardMiddleware"]

GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]

# Bumped whenever STATUSGUARD changes (override_settings sends setting_changed), so a request
# costs one integer comparison instead of a settings lookup.
_generation = 0


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _generation
    if setting == SETTING:
        _generation += 1


setting_changed.connect(_on_setting_changed, dispatch_uid="statusguard.contrib.django")


class _Guards:
    """The engines built from one value of the setting (one per protocol, built on demand)."""

    def __init__(self, config: Config, generation: int) -> None:
        self.config = config
        self.generation = generation
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def engine(self, protocol: str) -> Engine:
        engine = self._engines.get(protocol)
        if engine is None:
            with self._lock:
                engine = self._engines.get(protocol)
                if engine is None:
                    engine = self._engines[protocol] = Engine(protocol, self.config)
        return engine

    def engines(self) -> tuple[Engine, ...]:
        return tuple(self._engines.values())


class StatusGuardMiddleware:
    """Checks (and in fix mode repairs) every response against the rules of its status code.

    Configured by the ``STATUSGUARD`` setting, a dict with the keyword options of
    :class:`statusguard.WSGIStatusGuard` (``mode``, ``rules``, ``on_violation`` -- a callable or
    a dotted path --, ``server_date``, ``log_interval``, ``logger``, ``extra_rules``).  A bad
    setting raises ``ImproperlyConfigured`` when the middleware is loaded; the system check of
    the ``statusguard.contrib.django`` app reports it earlier, with ids ``statusguard.E00x``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        self._guards = self._load()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        response = cast(GetResponse, self.get_response)(request)
        return self.guard(request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = await cast(AsyncGetResponse, self.get_response)(request)
        return self.guard(request, response)

    # -- configuration -------------------------------------------------------------------------

    def _load(self) -> _Guards:
        generation = _generation
        return _Guards(build_config(read_setting()), generation)

    def _current(self) -> _Guards:
        guards = self._guards
        if guards.generation != _generation:
            guards = self._guards = self._load()
        return guards

    def stats(self) -> Stats:
        """The exact counts since the setting last changed (both protocols summed)."""
        counts: dict[tuple[str, int, str], int] = {}
        internal = 0
        for engine in self._current().engines():
            stats = engine.stats()
            internal += stats.internal_errors
            for key, count in stats.violations.items():
                counts[key] = counts.get(key, 0) + count
        return Stats(counts, internal)

    # -- the response --------------------------------------------------------------------------

    def guard(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """Check ``response`` to ``request``; returns it, repaired in place in fix mode."""
        guards = self._current()
        if isinstance(request, ASGIRequest):
            engine = guards.engine("asgi")
            version = str(request.scope.get("http_version", "1.1"))
            # An ASGI scope does not name its server; uvicorn and hypercorn add their own Date
            # whatever the app sent, so "auto" means "always" (as in ASGIStatusGuard).
            software = None
        else:
            engine = guards.engine("wsgi")
            version = str(request.META.get("SERVER_PROTOCOL", "HTTP/1.1")).removeprefix("HTTP/")
            software = str(request.META.get("SERVER_SOFTWARE", ""))
        policy = engine.config.server_date
        if policy == "auto":
            policy = "always" if software is None else server_date_policy(software)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else request.path
        method = request.method or "GET"
        try:
            _guard(engine, response, method, version, policy, route)
        except (StatusGuardError, Warning):
            raise  # strict mode, or -W error::statusguard.StatusGuardWarning
        except Exception as exc:
            if not engine.fail_open:
                raise
            engine.reporter.internal_error(exc, f"{method} {route}")
        return response


def _guard(
    engine: Engine,
    response: HttpResponseBase,
    method: str,
    version: str,
    server_date: str,
    route: str,
) -> None:
    known: HttpResponse | None = None  # a response whose content is known before sending
    content: bytes | None = None
    if not response.streaming and isinstance(response, HttpResponse):
        known = response
        content = response.content
    # Set-Cookie lines are not in response.items(); no rule looks at them and they cannot
    # carry CR/LF (SimpleCookie quotes), so they are left to Django.
    lines = list(response.items())
    status = response.status_code
    reason = response.reason_phrase
    content_length = None if content is None else len(content)
    has_content = None if content is None else bool(content)

    def describe() -> Head:
        return Head(
            status,
            headers_to_bytes(lines),
            method,
            version,
            reason.encode("latin-1", "replace"),
            content_length=content_length,
            has_content=has_content,
            server_date=server_date,
        )

    # A head like one that passed before, with content that leaves the body rules nothing to
    # do, needs nothing more (see Engine.screen): most responses of a running site.
    verdict = engine.screen(status, (method, version, server_date, reason), lines, describe)
    if verdict is not None and verdict.quiet(lines, content_length, has_content):
        return
    head = describe()
    check = engine.begin(head, method, route, screened=verdict is not None)
    sent = check.start()
    if sent is not head:
        _apply_head(response, head, sent)
    if known is not None and content is not None:
        # Known content: the engine decided everything in start(); only discarding is left.
        out = check.body(content) if check.needs_body else content
        if check.discard:
            out = b""
        if out != content:
            known.content = out
        check.finish()
    elif isinstance(response, StreamingHttpResponse) and check.needs_body:
        if _keep_file_path(response, check, sent):
            return
        stream = _Stream(check, engine, f"{method} {route}")
        source = response.streaming_content
        if isinstance(source, AsyncIterator):
            response.streaming_content = _aguarded(source, stream)
        else:
            response.streaming_content = _guarded(source, stream)


def _keep_file_path(response: StreamingHttpResponse, check: ResponseCheck, head: Head) -> bool:
    """Whether a FileResponse may keep the server's file_wrapper (sendfile) path.

    Django measured its Content-Length from the file itself, so when the content is allowed
    and nothing is discarded the only body check left (the length) is trusted, and the file
    goes out untouched.  Wrapping the stream would clear ``file_to_stream``.
    """
    return (
        isinstance(response, FileResponse)
        and response.file_to_stream is not None
        and not check.discard
        and head.status not in NO_CONTENT_STATUSES
        and head.method != "HEAD"
    )


def _apply_head(response: HttpResponseBase, before: Head, after: Head) -> None:
    """Write the repaired head back on the response object (in place, keeping the order)."""
    if after.status != before.status:
        response.status_code = after.status
    if after.reason is not None and after.reason != before.reason:
        response.reason_phrase = after.reason.decode("latin-1")
    if after.headers == before.headers:
        return
    wanted: dict[str, tuple[str, str]] = {}
    for raw_name, raw_value in after.headers:
        name = raw_name.decode("latin-1")
        wanted[name.lower()] = (name, raw_value.decode("latin-1"))
    headers = response.headers
    for name in list(headers):
        if name.lower() not in wanted:
            del headers[name]
    for name, value in wanted.values():
        if headers.get(name) != value:
            headers[name] = value


class _Stream:
    """Feeds one streamed body through its ResponseCheck, failing open on internal errors."""

    __slots__ = ("broken", "check", "done", "engine", "label")

    def __init__(self, check: ResponseCheck, engine: Engine, label: str) -> None:
        self.check = check
        self.engine = engine
        self.label = label
        self.broken = False  # an internal error happened: pass the rest through unchanged
        self.done = False  # nothing more can be sent: stop pulling from the application

    def feed(self, chunk: bytes) -> bytes:
        if self.broken:
            return chunk
        try:
            out = self.check.body(chunk)
        except (StatusGuardError, Warning):
            raise
        except Exception as exc:
            self._failed(exc)
            return chunk
        if len(out) < len(chunk):
            # Discarded (no content allowed) or truncated at Content-Length: whatever the
            # application still has to say cannot be sent.
            self.done = True
        return out

    def finish(self) -> None:
        if self.broken:
            return
        try:
            self.check.finish()
        except (StatusGuardError, Warning):
            raise
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if not self.engine.fail_open:
            raise exc
        self.broken = True
        self.engine.reporter.internal_error(exc, self.label)


def _guarded(source: Iterator[bytes], stream: _Stream) -> Iterator[bytes]:
    for chunk in source:
        out = stream.feed(chunk)
        if out:
            yield out
        if stream.done:
            break
    stream.finish()


async def _aguarded(source: AsyncIterator[bytes], stream: _Stream) -> AsyncIterator[bytes]:
    async for chunk in source:
        out = stream.feed(chunk)
        if out:
            yield out
        if stream.done:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
            break
    stream.finish()
