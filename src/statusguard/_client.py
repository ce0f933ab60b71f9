"""An in-process client for ``statusguard check``: load an app, tell WSGI from ASGI, send it
requests without a server or a socket.

The WSGI side builds a PEP 3333 environ (``wsgiref.util.setup_testing_defaults``), iterates
the result and closes it; the ASGI side runs the lifespan protocol when the app supports it,
then one ``http`` scope per request.  Nothing here knows about the rules: the caller wraps the
app in a guard first.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import io
import os
import sys
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
)
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote_to_bytes
from wsgiref.util import setup_testing_defaults

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = [
    "AppError",
    "Exchange",
    "Request",
    "cwd_on_path",
    "detect_protocol",
    "load_app",
    "send_asgi",
    "send_wsgi",
]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
USER_AGENT = "statusguard-check"


class AppError(Exception):
    """The app cannot be loaded or driven: a one-line message for the user."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request to send: ``path`` may carry a query string; ``headers`` are the request's
    fields (``Host`` and ``User-Agent`` are added)."""

    method: str
    path: str
    http_version: str = "1.1"
    headers: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(slots=True)
class Exchange:
    """A request and what came back: the response as the server would have received it, or
    the exception the app (or a strict guard) raised."""

    request: Request
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    error: BaseException | None = None
    reason: str | None = None  # the reason phrase, where the client sees one


# -- loading -----------------------------------------------------------------------------------


@contextlib.contextmanager
def cwd_on_path() -> Iterator[None]:
    """The current directory first on ``sys.path`` (as ``python -m`` has it) for the block."""
    cwd = os.getcwd()
    if cwd in sys.path:
        yield
        return
    sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if cwd in sys.path:
            sys.path.remove(cwd)


def load_app(spec: str) -> tuple[object, ModuleType]:
    """Import ``module:attribute`` (the attribute may be dotted) and return the app it names;
    run it inside :func:`cwd_on_path`.  As ``flask --app`` does, ``module:create_app()`` (with
    literal arguments, if any) calls a factory, and so does ``module:create_app`` when it names
    a function that takes no argument (a WSGI or ASGI app takes two or three).  Raises
    :class:`AppError` with a one-line message."""
    module_name, colon, attribute = spec.partition(":")
    attribute = attribute.strip()
    call: tuple[tuple[object, ...], dict[str, object]] | None = None
    if attribute.endswith(")") and "(" in attribute:
        attribute, _, arguments = attribute.partition("(")
        call = _factory_arguments(spec, arguments[:-1])
    if not colon or not module_name or not attribute:
        raise AppError(f"APP must be module:attribute, such as myproject.wsgi:app, not {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if module_name == missing or module_name.startswith(missing + "."):
            raise AppError(
                f"cannot import {module_name!r}: no module named {missing!r} "
                f"(run statusguard from the directory that holds it)"
            ) from None
        raise AppError(f"importing {module_name!r} failed: {_one_line(exc)}") from None
    except (Exception, SystemExit) as exc:
        raise AppError(f"importing {module_name!r} failed: {_one_line(exc)}") from None
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AppError(f"{module_name!r} has no attribute {attribute!r}") from None
    if call is None and _is_factory(target):
        call = ((), {})
    if call is not None:
        target = _call_factory(f"{module_name}:{attribute}", target, *call)
    if not callable(target):
        raise AppError(f"{spec} is a {type(target).__name__}, not a WSGI or ASGI application")
    return target, module


def _factory_arguments(spec: str, text: str) -> tuple[tuple[object, ...], dict[str, object]]:
    """The literal arguments of ``create_app(...)`` in an APP, as ``flask --app`` takes them."""
    try:
        expression = ast.parse(f"f({text})", mode="eval").body
        assert isinstance(expression, ast.Call)
        args = tuple(ast.literal_eval(arg) for arg in expression.args)
        kwargs = {str(k.arg): ast.literal_eval(k.value) for k in expression.keywords}
    except (SyntaxError, ValueError, AssertionError, TypeError):
        raise AppError(
            f"the arguments in {spec!r} must be Python literals, such as create_app('dev')"
        ) from None
    return args, kwargs


def _is_factory(target: object) -> bool:
    """A plain function that can be called with no argument: an app factory."""
    if not inspect.isfunction(target) or inspect.iscoroutinefunction(target):
        return False
    try:
        inspect.signature(target).bind()
    except TypeError:
        return False
    return True


def _call_factory(
    name: str, factory: object, args: tuple[object, ...], kwargs: dict[str, object]
) -> object:
    if not callable(factory):
        raise AppError(f"{name} is a {type(factory).__name__}, not an app factory")
    try:
        app = factory(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        raise AppError(f"the app factory {name}() raised {_one_line(exc)}") from None
    if app is None or not callable(app):
        raise AppError(
            f"the app factory {name}() returned {type(app).__name__}, not a WSGI or ASGI app"
        )
    return app


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def detect_protocol(app: object) -> str:
    """``"asgi"`` or ``"wsgi"``: an ASGI 3 app is a coroutine function of (scope, receive,
    send), a WSGI app a callable of (environ, start_response).  Raises :class:`AppError`."""
    if inspect.isclass(app):
        raise AppError(
            f"{app.__qualname__} is a class; give the application instance (module:app)"
        )
    call = getattr(app, "__call__", None)  # noqa: B004 - the bound method is what we inspect
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call):
        return "asgi"
    try:
        signature = inspect.signature(cast(Callable[..., object], app))
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        positional = [
            p
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if len(positional) == 3:
            return "asgi"
        if len(positional) == 2:
            return "wsgi"
    raise AppError(
        f"cannot tell whether {app!r} is a WSGI app (environ, start_response) "
        "or an ASGI app (async: scope, receive, send)"
    )


# -- WSGI --------------------------------------------------------------------------------------


def _environ(request: Request) -> WSGIEnvironment:
    path, _, query = request.path.partition("?")
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": request.method,
        # PEP 3333: PATH_INFO holds the decoded bytes as latin-1 characters.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": f"HTTP/{request.http_version}",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "HTTP_USER_AGENT": USER_AGENT,
    }
    for name, value in request.headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            key = f"HTTP_{key}"
            # Several lines of one field reach a WSGI app joined with ", " (PEP 3333, CGI).
            environ[key] = f"{environ[key]}, {value}" if key in environ else value
    setup_testing_defaults(environ)
    return environ


def send_wsgi(app: WSGIApplication, request: Request) -> Exchange:
    """Send one request to a WSGI app; the app's exception ends up in ``Exchange.error``."""
    exchange = Exchange(request)
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None and chunks:
            raise exc_info[1].with_traceback(exc_info[2])  # type: ignore[union-attr]
        code, _, reason = status.partition(" ")
        exchange.status = int(code) if code.isdigit() else 0
        exchange.reason = reason
        exchange.headers = [
            (name.encode("latin-1"), value.encode("latin-1", "replace")) for name, value in headers
        ]
        return chunks.append

    try:
        result: Iterable[bytes] = app(_environ(request), start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as exc:
        exchange.error = exc
    exchange.body = b"".join(chunks)
    return exchange


# -- ASGI --------------------------------------------------------------------------------------


def send_asgi(
    app: ASGIApp,
    requests: Iterable[Request],
    after: Callable[[Exchange], object] | None = None,
) -> list[Exchange]:
    """Send the requests one after the other, inside the app's lifespan when it has one;
    ``after`` is called with each exchange as soon as it is complete."""
    return asyncio.run(_send_all(app, tuple(requests), after))


async def _send_all(
    app: ASGIApp, requests: tuple[Request, ...], after: Callable[[Exchange], object] | None
) -> list[Exchange]:
    exchanges = []
    async with _lifespan(app) as state:
        for request in requests:
            exchange = await _send_one(app, request, state)
            if after is not None:
                after(exchange)
            exchanges.append(exchange)
    return exchanges


@contextlib.asynccontextmanager
async def _lifespan(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Run the lifespan protocol around the requests, the way uvicorn's ``--lifespan auto``
    does: an app that does not support it (it raises or returns) is served without it."""
    state: dict[str, Any] = {}
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": dict(_ASGI_VERSION), "state": state}
    task = asyncio.ensure_future(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    reply = await _reply(task, from_app)
    if reply is None:
        yield state
        return
    if reply.get("type") == "lifespan.startup.failed":
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise AppError(f"the app's lifespan startup failed: {reply.get('message', '')}".strip())
    try:
        yield state
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        if await _reply(task, from_app) is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=5)
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _reply(task: asyncio.Future[None], replies: asyncio.Queue[Message]) -> Message | None:
    """The app's next lifespan message, or ``None`` when the app ended (no lifespan)."""
    getter = asyncio.ensure_future(replies.get())
    waiting: list[asyncio.Future[Any]] = [task, getter]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if getter.done():
        return getter.result()
    getter.cancel()
    with contextlib.suppress(BaseException):
        await getter
    with contextlib.suppress(BaseException):
        task.result()  # retrieve (and ignore) the exception of an app without lifespan
    return None


async def _send_one(app: ASGIApp, request: Request, state: dict[str, Any]) -> Exchange:
    exchange = Exchange(request)
    path, _, query = request.path.partition("?")
    raw_path = path.encode("latin-1", "replace")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": dict(_ASGI_VERSION),
        "http_version": request.http_version,
        "method": request.method,
        "scheme": "http",
        "path": unquote_to_bytes(path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"user-agent", USER_AGENT.encode()),
            *((n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in request.headers),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": dict(state),
    }
    chunks: list[bytes] = []
    done = asyncio.Event()
    request_sent = False

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client "hangs up" once the response is complete
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            exchange.status = int(message["status"])
            exchange.headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", ())]
        elif kind == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:
        exchange.error = exc
    finally:
        done.set()
    exchange.body = b"".join(chunks)
    return exchange
