"""``StatusGuardMiddleware``: statusguard inside Django's request cycle, sync and async.

Put it first in ``MIDDLEWARE`` (outermost) so it sees the response every other middleware has
finished with -- ``CommonMiddleware`` adds ``Content-Length`` even to a 204.  The head is
repaired on the response object before Django hands it to the server; content is only ever
discarded or truncated, and a stream stays a stream.

``server_date="auto"`` follows the server: for a WSGI request the one ``SERVER_SOFTWARE`` names
(gunicorn replaces the app's Date, runserver and wsgiref add one only when absent, the werkzeug
dev server always adds one); for an ASGI request the one its scope shows (uvicorn and hypercorn
add their own, so the app's Date is dropped; daphne adds none and granian one only when absent,
so the app's is kept or one added).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.handlers.asgi import ASGIRequest
from django.core.signals import setting_changed
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from ... import exemptions as _exempt
from ...engine import HOLD, SAME, Config, Engine, Exchange, Extended, Phase, Unjudged, http_version
from ...model import Head
from ...report import Stats
from ...servers import asgi_profile, profile_named, with_date, wsgi_profile
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
                    engine = self._engines[protocol] = Engine(
                        protocol, self.config, framework="django"
                    )
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
        return Stats.combine(engine.stats() for engine in self._current().engines())

    # -- the response --------------------------------------------------------------------------

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], *args: Any
    ) -> None:
        """Notes an :func:`~statusguard.exempt` view (function or class-based) on the request."""
        if _exempt.used and (
            _exempt.is_exempt(view_func)
            or _exempt.is_exempt(getattr(view_func, "view_class", None))
        ):
            request.statusguard_exempt = True  # type: ignore[attr-defined]

    def guard(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """Check ``response`` to ``request``; returns it, repaired in place in fix mode."""
        guards = self._current()
        excluded = guards.config.exclude_paths
        if getattr(request, "statusguard_exempt", False) is True or (
            excluded is not None and request.path in excluded
        ):
            guards.engine(
                "asgi" if isinstance(request, ASGIRequest) else "wsgi"
            ).reporter.exclude()
            return response
        if isinstance(request, ASGIRequest):
            engine = guards.engine("asgi")
            version: object = request.scope.get("http_version", "1.1")
            # Django's handler keeps the scope, not the server's receive: the scope tells.
            detected = asgi_profile(request.scope)
        else:
            engine = guards.engine("wsgi")
            version = request.META.get("SERVER_PROTOCOL", "HTTP/1.1")
            detected = wsgi_profile(request.META)
        config = engine.config
        if config.server != "auto":
            detected = profile_named(config.server, http_version(version))
        server = with_date(detected, config.server_date)
        exchange = engine.exchange(request.method or "GET", version, server, _READER, request)
        _guard(exchange, response, isinstance(request, ASGIRequest))
        return response


class _RequestReader:
    """What the engine may ask about a Django request."""

    __slots__ = ()

    def route(self, request: HttpRequest, /) -> str:
        """The matched URL pattern, as a path (``/items/<int:pk>``), else the path."""
        match = getattr(request, "resolver_match", None)
        if match is not None and match.route:
            return "/" + str(match.route).lstrip("^/")
        return str(request.path)

    def header(self, request: HttpRequest, name: bytes, /) -> bytes | None:
        value = request.headers.get(name.decode("latin-1"))
        return None if value is None else value.encode("latin-1", "replace")


_READER = _RequestReader()


def _guard(exchange: Exchange, response: HttpResponseBase, asgi: bool) -> None:
    known: HttpResponse | None = None  # a response whose content is known before sending
    content: bytes | None = None
    if not response.streaming and isinstance(response, HttpResponse):
        known = response
        content = response.content
    # The cookies are not in response.items(): Django's handlers write one Set-Cookie line
    # per cookie after the other fields, as below.  SimpleCookie quotes values, not
    # attributes: a path or domain taken from the request can carry CR/LF.
    fields = list(response.items())
    cookies = _cookie_lines(response, asgi)
    lines = fields + [line for _, line in cookies]
    status = f"{response.status_code} {response.reason_phrase}"
    out = exchange.start(status, lines, None if content is None else len(content))
    if out is HOLD:  # a stream: its head goes out with Django's, before any content
        out = exchange.commit(None, None)
    if isinstance(out, Unjudged):  # statusguard failed: only what would split the response goes
        kept = {id(line) for line in out.headers}
        for name, _ in [line for line in fields if id(line) not in kept]:
            del response.headers[name]
        for key, line in cookies:
            if id(line) not in kept:
                del response.cookies[key]
    elif isinstance(out, Extended):  # what the server needs, added to the app's head
        for raw_name, raw_value in out.lines:
            response.headers[raw_name.decode("latin-1")] = raw_value.decode("latin-1")
    elif out is not SAME:
        _apply_head(response, fields, out)
        _apply_cookies(response, cookies, out)
    if exchange.phase is not Phase.BODY:
        return
    if known is not None and content is not None:
        # Known content: the engine decided everything already; only discarding is left.
        sent = exchange.chunk(content, last=True)
        if sent != content:
            known.content = sent
        exchange.end()
    elif isinstance(response, StreamingHttpResponse):
        if (
            isinstance(response, FileResponse)
            and response.file_to_stream is not None
            and exchange.file(_file_size(response.file_to_stream), can_stream=True)
        ):
            exchange.end()
            return  # the file goes as Django measured it (keeps the server's sendfile)
        source = response.streaming_content
        if isinstance(source, AsyncIterator):
            response.streaming_content = _aguarded(source, exchange)
        else:
            response.streaming_content = _guarded(source, exchange)


def _cookie_lines(response: HttpResponseBase, stripped: bool) -> list[tuple[str, tuple[str, str]]]:
    """Each cookie's key and the Set-Cookie line Django's handler sends for it: WSGIHandler
    sends ``cookie.output(header="")`` (a leading space, optional whitespace on HTTP/1.x),
    ASGIHandler the same stripped."""
    lines = []
    for key, morsel in response.cookies.items():
        value = morsel.output(header="")
        lines.append((key, ("Set-Cookie", value.strip() if stripped else value)))
    return lines


def _apply_cookies(
    response: HttpResponseBase, cookies: list[tuple[str, tuple[str, str]]], after: Head
) -> None:
    """Drop the cookies whose Set-Cookie line the repaired head no longer has (a line with
    CR/LF is dropped, never rewritten)."""
    if not cookies:
        return
    kept = [v.decode("latin-1") for n, v in after.headers if n.lower() == b"set-cookie"]
    for key, (_, value) in cookies:
        if value in kept:
            kept.remove(value)
        elif value.strip() in kept:
            kept.remove(value.strip())
        else:
            del response.cookies[key]


def _file_size(file: object) -> int | None:
    """The bytes left in the file a FileResponse streams, when they can be told."""
    try:
        fileno = getattr(file, "fileno", None)
        if fileno is None:
            return None
        info = os.fstat(fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        position = getattr(file, "tell", lambda: 0)()
        return max(info.st_size - int(position), 0)
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _apply_head(response: HttpResponseBase, lines: list[tuple[str, str]], after: Head) -> None:
    """Write the repaired head back on the response object (in place, keeping the order)."""
    if after.status != response.status_code:
        response.status_code = after.status
    if after.reason is not None and after.reason.decode("latin-1") != response.reason_phrase:
        response.reason_phrase = after.reason.decode("latin-1")
    wanted: dict[str, tuple[str, str]] = {}
    for raw_name, raw_value in after.headers:
        name = raw_name.decode("latin-1")
        if name.lower() == "set-cookie" and not response.has_header(name):
            continue  # a cookie's line (_apply_cookies)
        wanted[name.lower()] = (name, raw_value.decode("latin-1"))
    if [(n.lower(), v) for n, v in lines] == [(n.lower(), v) for n, v in wanted.values()]:
        return
    headers = response.headers
    for name in list(headers):
        if name.lower() not in wanted:
            del headers[name]
    for name, value in wanted.values():
        if headers.get(name) != value:
            headers[name] = value


def _guarded(source: Iterator[bytes], exchange: Exchange) -> Iterator[bytes]:
    try:
        for chunk in source:
            out = exchange.chunk(chunk)
            if out:
                yield out
            if exchange.done:
                break  # nothing more can be sent: stop pulling from the application
        exchange.end()
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


async def _aguarded(source: AsyncIterator[bytes], exchange: Exchange) -> AsyncIterator[bytes]:
    try:
        async for chunk in source:
            out = exchange.chunk(chunk)
            if out:
                yield out
            if exchange.done:
                break
        exchange.end()
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
