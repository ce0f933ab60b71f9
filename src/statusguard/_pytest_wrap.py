"""What ``pytest --statusguard=MODE`` puts around the applications the usual test clients drive.

Invariants: nothing here runs unless the plugin installs it, and everything it patches is put
back by :meth:`Wrapping.uninstall`.  A framework module is patched when it is first imported
(or at once if it already is), never imported by this module.  An application is guarded once:
one that already has a guard (or that one of these wrappers made) only gets the cheap
bookkeeping that lets a failure report show the request and the response head.

Patched (see ``docs/pytest.md``):

* ``werkzeug.test.Client.run_wsgi_app`` (and, for that call only, the module's
  ``run_wsgi_app``) -- werkzeug's ``Client``, Flask's ``test_client()``;
* ``django.test.client.ClientHandler`` / ``AsyncClientHandler`` -- Django's ``Client`` and
  ``AsyncClient``, DRF's ``APIClient``: the statusguard middleware goes outermost;
* ``starlette.testclient._TestClientTransport`` -- Starlette's and FastAPI's ``TestClient``;
* ``httpx.ASGITransport`` and ``httpx.WSGITransport``;
* ``asgiref.testing.ApplicationCommunicator`` (and so Channels' communicators).
"""

from __future__ import annotations

import contextvars
import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._asgi_types import Message, Receive, Scope, Send
from .asgi import ASGIStatusGuard
from .wsgi import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["MARK", "Exchange", "Wrapping", "current_exchange", "forget_current", "is_guarded"]

# The attribute that says "this object is a statusguard guard, or wraps one"; read with
# inspect.getattr_static, so that a guard class can set it as a class attribute.
MARK: Final = "_statusguard_guarded"
# Test clients stand in for a server that adds its own Date only when the app sent none: a
# missing Date is not the application's fault, and an application's Date is not doubled.
SERVER_DATE: Final = "if-absent"

_MAX_LINES = 24  # header lines shown per head
_MAX_VALUE = 160  # characters shown per header value


class Exchange:
    """One request/response seen through a wrapper: what a failure report shows.

    Holds references only (the environ or scope, the response head as the app gave it); the
    text is made by :meth:`describe`, which runs only when a violation is reported.
    """

    __slots__ = ("done", "guarded", "kind", "request", "response")

    def __init__(self, kind: str, request: Any, guarded: bool) -> None:
        self.kind = kind  # "wsgi" (environ), "asgi" (scope) or "django" (HttpRequest)
        self.request = request
        self.guarded = guarded  # True: the wrapper's own guard; False: the app's
        self.response: Any = None  # (status, headers), a start message, an HttpResponse
        self.done = False

    def method(self) -> str:
        if self.kind == "wsgi":
            return str(self.request.get("REQUEST_METHOD", "GET"))
        if self.kind == "asgi":
            return str(self.request.get("method", "GET"))
        return str(getattr(self.request, "method", None) or "GET")

    def describe(self) -> tuple[list[str], list[str]]:
        """(the request head's lines, the response head's lines), ready to print."""
        try:
            if self.kind == "asgi":
                return _asgi_request(self.request), self._asgi_response()
            if self.kind == "wsgi":
                return _environ_request(self.request), self._wsgi_response()
            return _environ_request(self.request.META, self.request), self._django_response()
        except Exception as exc:  # a report must never fail on what it quotes
            return [f"(could not describe the exchange: {exc!r})"], []

    def _missing(self) -> list[str]:
        if self.guarded:
            return ["(none: the application did not start a response)"]
        return [
            "(not seen: the application's own guard raised before the head left the application)"
        ]

    def _wsgi_response(self) -> list[str]:
        if self.response is None:
            return self._missing()
        status, headers = self.response
        protocol = str(self.request.get("SERVER_PROTOCOL", "HTTP/1.1"))
        return [f"{protocol} {_show(str(status))}", *_header_lines(headers)]

    def _asgi_response(self) -> list[str]:
        if self.response is None:
            return self._missing()
        status = self.response.get("status")
        version = str(self.request.get("http_version", "1.1"))
        lines = [f"HTTP/{version} {status} {_phrase(status)}".rstrip()]
        return lines + _header_lines(self.response.get("headers", ()))

    def _django_response(self) -> list[str]:
        response = self.response
        if response is None:
            return self._missing()
        protocol = str(self.request.META.get("SERVER_PROTOCOL", "HTTP/1.1"))
        headers: list[tuple[str, str]] = list(response.items())
        headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
        return [
            f"{protocol} {response.status_code} {_show(response.reason_phrase)}",
            *_header_lines(headers),
        ]


_CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "statusguard_exchange", default=None
)


def current_exchange(method: str) -> Exchange | None:
    """The exchange under way in this thread or task, if it is for a request with ``method``.

    A WSGI response is often read after its call returned, so the exchange stays current
    until the next one starts or its iterable is closed; the method check keeps a guard that
    runs elsewhere (an app's own, reached by a path no wrapper sees) from borrowing it.
    """
    exchange = _CURRENT.get()
    if exchange is None or exchange.done or exchange.method() != method:
        return None
    return exchange


# Set by werkzeug's Client.run_wsgi_app for the module's run_wsgi_app it calls.
_CLIENT_CALL: contextvars.ContextVar[Wrapping | None] = contextvars.ContextVar(
    "statusguard_client_call", default=None
)


def forget_current() -> None:
    """No exchange is under way in this context any more (between tests, at the end)."""
    _CURRENT.set(None)


# -- describing heads ------------------------------------------------------------------------


def _show(value: object) -> str:
    """``value`` as one printable line, cut short: a CR/LF in a header cannot split a report."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if len(text) > _MAX_VALUE:
        text = text[:_MAX_VALUE] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _phrase(status: object) -> str:
    from .codes import lookup

    if type(status) is not int or not 100 <= status <= 599:
        return ""
    return lookup(status).phrase


def _header_lines(headers: Iterable[Sequence[Any]]) -> list[str]:
    lines = [f"{_show(pair[0])}: {_show(pair[1])}" for pair in headers]
    if len(lines) > _MAX_LINES:
        lines[_MAX_LINES:] = [f"(… {len(lines) - _MAX_LINES} more header lines)"]
    return lines


def _environ_request(environ: Mapping[str, Any], request: Any = None) -> list[str]:
    if request is not None:  # a Django request: its own idea of the path
        target = str(request.get_full_path())
    else:
        target = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        query = str(environ.get("QUERY_STRING", ""))
        if query:
            target += "?" + query
    method = environ.get("REQUEST_METHOD", "GET")
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append((name.replace("_", "-").title(), value))
    return [f"{_show(method)} {_show(target)} {_show(protocol)}", *_header_lines(headers)]


def _asgi_request(scope: Scope) -> list[str]:
    raw = scope.get("raw_path")
    target = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    query = scope.get("query_string", b"")
    if query:
        target += "?" + (query.decode("latin-1") if isinstance(query, bytes) else str(query))
    method = scope.get("method", "GET")
    version = scope.get("http_version", "1.1")
    line = f"{_show(method)} {_show(target)} HTTP/{_show(version)}"
    return [line, *_header_lines(scope.get("headers", ()))]


# -- is it guarded already? ------------------------------------------------------------------

# Where frameworks keep the application they wrap: Flask's wsgi_app, Starlette's and most
# middlewares' app, WhiteNoise's application, functools.wraps' __wrapped__.
_CHAIN: Final = ("wsgi_app", "app", "application", "middleware_stack", "_app", "__wrapped__")
_NOT_VALUES: Final = (
    types.FunctionType,
    types.BuiltinFunctionType,
    staticmethod,
    classmethod,
    property,
    types.GetSetDescriptorType,
)


def _static(obj: object, name: str) -> object:
    """``obj.name`` without running a property or ``__getattr__``; None if absent."""
    try:
        value = inspect.getattr_static(obj, name)
    except AttributeError:
        return None
    if isinstance(value, types.MemberDescriptorType):  # a __slots__ attribute
        try:
            return value.__get__(obj, type(obj))
        except AttributeError:
            return None
    if isinstance(value, _NOT_VALUES):
        return None
    return value


def _marked(obj: object) -> bool:
    return _static(obj, MARK) is True


def is_guarded(app: object) -> bool:
    """Whether ``app`` already has a statusguard guard in it (or is one).

    Follows the usual attributes middlewares keep the wrapped app in, Starlette's and
    FastAPI's ``user_middleware``, and a Django handler's ``MIDDLEWARE``; a guard put deeper
    (on one mounted sub-application, say) is not found, and that part is then guarded twice.
    """
    todo: list[object] = [app]
    seen: set[int] = set()
    while todo and len(seen) < 64:
        obj = todo.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (WSGIStatusGuard, ASGIStatusGuard)) or _marked(obj):
            return True
        if _django_handler_guarded(obj):
            return True
        middleware = _static(obj, "user_middleware")
        if isinstance(middleware, (list, tuple)):
            for item in middleware:
                cls = _static(item, "cls")
                if isinstance(cls, type) and (issubclass(cls, ASGIStatusGuard) or _marked(cls)):
                    return True
        if isinstance(obj, types.MethodType):
            todo.append(obj.__self__)
        for name in _CHAIN:
            todo.append(_static(obj, name))
    return False


def _django_handler_guarded(obj: object) -> bool:
    base = sys.modules.get("django.core.handlers.base")
    if base is None or not isinstance(obj, base.BaseHandler):
        return False
    return _django_settings_guarded()


def _django_settings_guarded() -> bool:
    """Whether ``settings.MIDDLEWARE`` has the statusguard middleware (or a subclass)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from .contrib.django import StatusGuardMiddleware

    for path in getattr(settings, "MIDDLEWARE", None) or ():
        try:
            cls = import_string(path)
        except ImportError:
            continue  # Django will say so itself
        if isinstance(cls, type) and (issubclass(cls, StatusGuardMiddleware) or _marked(cls)):
            return True
    return False


# -- the wrappers ----------------------------------------------------------------------------


class _WSGIExchange(Exchange):
    """A WSGI exchange, which is also the start_response the app calls (to keep the head) and
    the result the client closes (which ends it): one object per response."""

    __slots__ = ("result", "server_start_response")

    def __init__(self, environ: WSGIEnvironment, guarded: bool) -> None:
        super().__init__("wsgi", environ, guarded)
        self.result: Iterable[bytes] = ()
        self.server_start_response: Any = None  # set by _RecordWSGI before the app runs

    def record(self, status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        self.response = (status, headers)
        return self.server_start_response(status, headers, *exc_info)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.result)

    def close(self) -> None:
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            self.done = True


class _RecordWSGI:
    """Between the guard and the app: keeps the head the app gave for the failure report."""

    __slots__ = ("app",)

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        exchange = _CURRENT.get()
        if type(exchange) is not _WSGIExchange:
            return self.app(environ, start_response)
        exchange.server_start_response = start_response
        return self.app(environ, exchange.record)


_OWN: Final = frozenset({"app", "_inner", "guarded", "__weakref__"})


class WSGIWrapper:
    """A WSGI application as a test client drives it under ``--statusguard``."""

    __slots__ = ("__weakref__", "_inner", "app", "guarded")
    _statusguard_guarded = True

    def __init__(self, app: WSGIApplication, mode: str | None) -> None:
        self.app = app
        self.guarded = mode is not None
        recorder = _RecordWSGI(app)
        self._inner: WSGIApplication = (
            recorder
            if mode is None
            else WSGIStatusGuard(recorder, mode=mode, server_date=SERVER_DATE)
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        exchange = _WSGIExchange(environ, self.guarded)
        # Not reset on return: the client reads the body afterwards, in this same context.
        _CURRENT.set(exchange)
        try:
            exchange.result = self._inner(environ, start_response)
        except BaseException:
            exchange.done = True
            raise
        return exchange

    def __getattr__(self, name: str) -> Any:
        # Only what the wrapper lacks: an attribute of the application (transport.app.state).
        if name in _OWN:
            raise AttributeError(name)
        return getattr(self.app, name)


class _RecordASGI:
    __slots__ = ("app",)

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = _CURRENT.get()
        if exchange is None:
            await self.app(scope, receive, send)
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.response = message
            await send(message)

        await self.app(scope, receive, record)


class ASGIWrapper:
    """An ASGI application as a test client drives it: HTTP guarded, the rest untouched."""

    __slots__ = ("__weakref__", "_inner", "app", "guarded")
    _statusguard_guarded = True

    def __init__(self, app: Callable[..., Any], mode: str | None) -> None:
        self.app = app
        self.guarded = mode is not None
        recorder = _RecordASGI(app)
        self._inner: Callable[..., Any] = (
            recorder
            if mode is None
            else ASGIStatusGuard(recorder, mode=mode, server_date=SERVER_DATE)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websocket, lifespan: straight to the app
            await self.app(scope, receive, send)
            return
        exchange = Exchange("asgi", scope, self.guarded)
        token = _CURRENT.set(exchange)
        try:
            await self._inner(scope, receive, send)
        finally:
            exchange.done = True
            _CURRENT.reset(token)

    def __getattr__(self, name: str) -> Any:
        # Only what the wrapper lacks: an attribute of the application (transport.app.state).
        if name in _OWN:
            raise AttributeError(name)
        return getattr(self.app, name)


# -- the patches -----------------------------------------------------------------------------

_ABSENT: Final = object()


class Wrapping:
    """The patches of one pytest session (a stack of them when pytester nests sessions)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._undo: list[tuple[object, str, object]] = []
        self._lock = threading.Lock()
        self._by_app: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._by_method: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._strong: dict[int, tuple[Any, Any]] = {}  # apps that cannot be weakly referenced
        self._patches: dict[str, Callable[[types.ModuleType], None]] = {
            "werkzeug.test": self._patch_werkzeug,
            "django.test.client": self._patch_django,
            "starlette.testclient": self._patch_starlette,
            "httpx._transports.asgi": self._patch_httpx_asgi,
            "httpx._transports.wsgi": self._patch_httpx_wsgi,
            "asgiref.testing": self._patch_asgiref,
        }
        self.patched: list[str] = []  # what was patched, in order, for the report
        self.failed: list[str] = []  # what could not be (another version of the client)
        self._finder: _Finder | None = None

    # -- installing --------------------------------------------------------------------------

    def install(self) -> None:
        pending = {}
        for name, patch in self._patches.items():
            module = sys.modules.get(name)
            if module is not None:
                self._apply(name, patch, module)
            else:
                pending[name] = patch
        if pending:
            self._finder = _Finder(pending, self._apply)
            sys.meta_path.insert(0, self._finder)

    def uninstall(self) -> None:
        if self._finder is not None:
            self._finder.pending.clear()
            if self._finder in sys.meta_path:
                sys.meta_path.remove(self._finder)
            self._finder = None
        for owner, name, original in reversed(self._undo):
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._undo.clear()
        forget_current()
        self._by_app = weakref.WeakKeyDictionary()
        self._by_method = weakref.WeakKeyDictionary()
        self._strong.clear()

    def _apply(
        self, name: str, patch: Callable[[types.ModuleType], None], module: types.ModuleType
    ) -> None:
        # Never break the import of the client itself: a version whose internals differ is
        # left unwrapped, and the end-of-run summary says so.
        try:
            patch(module)
        except Exception as exc:
            self.failed.append(f"{name} ({type(exc).__name__}: {exc})")
        else:
            self.patched.append(name)

    def _replace(self, owner: object, name: str, value: object) -> None:
        original = vars(owner).get(name, _ABSENT)
        self._undo.append((owner, name, original))
        setattr(owner, name, value)

    def _wrap_init(self, cls: type, attribute: str, wrap: Callable[[Any], Any]) -> None:
        original_init: Callable[..., None] = cls.__init__  # type: ignore[misc]

        def init(instance: Any, *args: Any, **kwargs: Any) -> None:
            original_init(instance, *args, **kwargs)
            setattr(instance, attribute, wrap(getattr(instance, attribute)))

        self._replace(cls, "__init__", functools.update_wrapper(init, original_init))

    # -- one patch per client ----------------------------------------------------------------

    def _patch_werkzeug(self, module: types.ModuleType) -> None:
        # Only the client's own call is wrapped: werkzeug's run_wsgi_app also runs inside
        # applications (Response.force_type turns an HTTPException into a response with it).
        original_function = module.run_wsgi_app
        original_method = module.Client.run_wsgi_app

        def client_run_wsgi_app(
            client: Any, environ: WSGIEnvironment, buffered: bool = False
        ) -> Any:
            token = _CLIENT_CALL.set(self)
            try:
                return original_method(client, environ, buffered)
            finally:
                _CLIENT_CALL.reset(token)

        def run_wsgi_app(
            app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
        ) -> Any:
            if _CLIENT_CALL.get() is self:
                _CLIENT_CALL.set(None)  # once: not what the application runs itself
                app = self.wrap_wsgi(app)
            return original_function(app, environ, buffered=buffered)

        functools.update_wrapper(client_run_wsgi_app, original_method)
        functools.update_wrapper(run_wsgi_app, original_function)
        self._replace(module.Client, "run_wsgi_app", client_run_wsgi_app)
        self._replace(module, "run_wsgi_app", run_wsgi_app)

    def _patch_starlette(self, module: types.ModuleType) -> None:
        self._wrap_init(module._TestClientTransport, "app", self.wrap_asgi)

    def _patch_httpx_asgi(self, module: types.ModuleType) -> None:
        self._wrap_init(module.ASGITransport, "app", self.wrap_asgi)

    def _patch_httpx_wsgi(self, module: types.ModuleType) -> None:
        self._wrap_init(module.WSGITransport, "app", self.wrap_wsgi)

    def _patch_asgiref(self, module: types.ModuleType) -> None:
        self._wrap_init(module.ApplicationCommunicator, "application", self.wrap_asgi)

    def _patch_django(self, module: types.ModuleType) -> None:
        for cls in (module.ClientHandler, module.AsyncClientHandler):
            original = cls.load_middleware

            def load_middleware(
                handler: Any, is_async: bool = False, _original: Any = original
            ) -> None:
                _original(handler, is_async)
                handler._middleware_chain = _django_chain(handler._middleware_chain, is_async)

            self._replace(cls, "load_middleware", load_middleware)

    # -- wrapping one application ------------------------------------------------------------

    def wrap_wsgi(self, app: Any) -> Any:
        return self._wrap(app, WSGIWrapper)

    def wrap_asgi(self, app: Any) -> Any:
        return self._wrap(app, ASGIWrapper)

    def _wrap(self, app: Any, kind: Callable[[Any, str | None], Any]) -> Any:
        if _marked(app):
            return app
        with self._lock:
            found = self._cached(app)
            if found is not None and type(found) is kind:
                return found
            wrapper = kind(app, None if is_guarded(app) else self.mode)
            self._remember(app, wrapper)
        return wrapper

    def _cached(self, app: Any) -> Any:
        if isinstance(app, types.MethodType):
            return self._by_method.get(app.__self__, {}).get(app.__func__)
        try:
            return self._by_app.get(app)
        except TypeError:  # unhashable or not weakly referenceable
            entry = self._strong.get(id(app))
            return entry[1] if entry is not None and entry[0] is app else None

    def _remember(self, app: Any, wrapper: Any) -> None:
        try:
            if isinstance(app, types.MethodType):
                self._by_method.setdefault(app.__self__, {})[app.__func__] = wrapper
            else:
                self._by_app[app] = wrapper
            return
        except TypeError:
            pass
        if len(self._strong) >= 64:  # bounded: forget the oldest
            del self._strong[next(iter(self._strong))]
        self._strong[id(app)] = (app, wrapper)


def _django_chain(chain: Any, is_async: bool) -> Any:
    """Django's middleware chain with the statusguard middleware outermost.

    Its exceptions become a 500 the way any first middleware's do (``Client`` re-raises them
    unless ``raise_request_exception=False``).
    """
    from django.core.handlers.exception import convert_exception_to_response

    guard: Callable[[Any, Any], Any] | None = None
    if not _django_settings_guarded():
        from .contrib.django import StatusGuardMiddleware

        guard = StatusGuardMiddleware(chain).guard

    if is_async:

        async def handler_async(request: Any) -> Any:
            exchange = Exchange("django", request, guard is not None)
            _CURRENT.set(exchange)
            response = await chain(request)
            exchange.response = response
            return response if guard is None else guard(request, response)

        handler: Callable[[Any], Any] = handler_async
    else:

        def handler_sync(request: Any) -> Any:
            exchange = Exchange("django", request, guard is not None)
            _CURRENT.set(exchange)
            response = chain(request)
            exchange.response = response
            return response if guard is None else guard(request, response)

        handler = handler_sync
    return handler if guard is None else convert_exception_to_response(handler)


class _Finder(importlib.abc.MetaPathFinder):
    """Patches a module of ``pending`` right after it is first executed."""

    def __init__(
        self,
        pending: dict[str, Callable[[types.ModuleType], None]],
        apply: Callable[[str, Callable[[types.ModuleType], None], types.ModuleType], None],
    ) -> None:
        self.pending = pending
        self.apply = apply

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        patch = self.pending.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        # A source loader is made for this one module: its exec_module can be wrapped on the
        # instance, and the module keeps its genuine loader (tracebacks, importlib.resources).
        original = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            original(module)
            if self.pending.pop(fullname, None) is not None:
                self.apply(fullname, patch, module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
