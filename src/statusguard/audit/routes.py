"""Route discovery: what an application says it serves, as paths that can be requested.

Flask (``app.url_map``), Django (the URL resolver), Starlette and FastAPI (the router, and
FastAPI's OpenAPI document for the types of path parameters).  Nothing is imported from a
framework at module level: each discoverer is picked by what the app object looks like and
imports its framework only when it runs.  A path parameter is filled from the user's
``--param`` values first, then from its converter's type; a route that cannot be filled, or
whose filled path the router sends elsewhere, is kept as skipped, with the reason.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = [
    "SAMPLE_VALUES",
    "DiscoveryError",
    "RouteSpec",
    "discover",
    "framework_of",
    "routes_from_openapi",
]

#: What a path parameter is filled with, by the type its converter matches.
SAMPLE_VALUES: Mapping[str, str] = {
    "int": "1",
    "float": "1.0",
    "str": "x",
    "path": "x",
    "slug": "x",
    "uuid": "12345678-1234-5678-1234-567812345678",
}

_STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


class DiscoveryError(Exception):
    """The routes of an app cannot be read: a one-line message."""


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: the pattern the router knows, the path requested for it, what it accepts.

    ``methods`` is ``None`` when the router does not say (a Django function view, a path the
    user gave); ``skipped`` says why the route is not requested; ``serves_file`` marks routes
    that serve files (static directories), which get the range probes whatever they announce.
    ``request_method`` is set for a request the user gave as it is (``"HEAD /x"``): that one
    request is sent and judged alone.
    """

    pattern: str
    path: str | None
    methods: frozenset[str] | None = None
    name: str = ""
    skipped: str | None = None
    serves_file: bool = False
    request_method: str | None = None
    http_version: str = "1.1"
    request_headers: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        if self.request_method is not None:
            return f"{self.request_method} {self.path}"
        return self.pattern


def framework_of(app: object) -> str | None:
    """``"flask"``, ``"django"``, ``"starlette"`` (FastAPI included) or ``None``."""
    for candidate in _unwrapped(app):
        if hasattr(candidate, "url_map") and hasattr(candidate, "view_functions"):
            return "flask"
        module = type(candidate).__module__
        if module.startswith("django.core.handlers"):
            return "django"
        if isinstance(getattr(candidate, "routes", None), list) and hasattr(candidate, "router"):
            return "starlette"
    return None


def _unwrapped(app: object) -> Iterator[object]:
    """The app, then what it wraps (``.app`` of middlewares, ``__self__`` of a bound
    ``wsgi_app``), a few levels deep."""
    seen = 0
    current: object | None = app
    while current is not None and seen < 8:
        yield current
        seen += 1
        bound = getattr(current, "__self__", None)
        current = bound if bound is not None else getattr(current, "app", None)


def _framework_app(app: object, framework: str) -> Any:
    for candidate in _unwrapped(app):
        if framework_of(candidate) == framework and (
            framework != "starlette" or hasattr(candidate, "router")
        ):
            return candidate
    return app


def discover(app: object, params: Mapping[str, str]) -> list[RouteSpec] | None:
    """The routes of ``app``, or ``None`` when its kind is not one statusguard can read."""
    framework = framework_of(app)
    if framework is None:
        return None
    target = _framework_app(app, framework)
    discoverer: Callable[[Any, Mapping[str, str]], list[RouteSpec]] = {
        "flask": _flask,
        "django": _django,
        "starlette": _starlette,
    }[framework]
    try:
        return _merged(discoverer(target, params))
    except DiscoveryError:
        raise
    except Exception as exc:  # the framework's own failure, e.g. a broken URLconf
        text = " ".join(str(exc).split())
        raise DiscoveryError(
            f"reading the {framework} routes failed: {type(exc).__name__}: {text}"
        ) from None


def _merged(routes: Iterable[RouteSpec]) -> list[RouteSpec]:
    """One route per pattern: a router may register one rule per method for the same URL
    (``@app.get`` and ``@app.post`` on one path), which is one resource with their methods."""
    merged: dict[str, RouteSpec] = {}
    for route in routes:
        known = merged.get(route.pattern)
        if known is None:
            merged[route.pattern] = route
            continue
        methods = (
            None
            if known.methods is None or route.methods is None
            else known.methods | route.methods
        )
        usable = known if known.skipped is None else route
        merged[route.pattern] = replace(
            usable,
            methods=methods,
            name=", ".join(n for n in (known.name, route.name) if n),
            serves_file=known.serves_file or route.serves_file,
        )
    return list(merged.values())


# -- filling path parameters ----------------------------------------------------------------


def _fill(
    pattern: str,
    parameter: re.Pattern[str],
    kinds: Mapping[str, str | None],
    params: Mapping[str, str],
    render: Callable[[re.Match[str], str], str] | None = None,
) -> tuple[str | None, str | None]:
    """The pattern with each parameter replaced: ``(path, None)`` or ``(None, reason)``."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in params:
            return params[name]
        kind = kinds.get(name)
        if kind is not None and kind.startswith("any:"):
            return kind.removeprefix("any:")  # werkzeug's any(a, b): the first choice
        sample = SAMPLE_VALUES.get(kind) if kind is not None else None
        if sample is None:
            missing.append(f"{name} ({kind or 'unknown type'})")
            return ""
        return render(match, sample) if render is not None else sample

    path = parameter.sub(value, pattern)
    if missing:
        return None, (
            f"no value for the path parameter{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}: give one with --param NAME=VALUE"
        )
    return path, None


def _first_file(directory: str | os.PathLike[str] | None) -> str | None:
    """The first regular file under ``directory`` (sorted, depth first), relative to it."""
    if directory is None:
        return None
    root = Path(directory)
    if not root.is_dir():
        return None
    for current, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.startswith("."):
                return (Path(current) / name).relative_to(root).as_posix()
    return None


# -- Flask ------------------------------------------------------------------------------------

_FLASK_PARAMETER = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?"
    r"(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
_WERKZEUG_KINDS = {
    "IntegerConverter": "int",
    "FloatConverter": "float",
    "UnicodeConverter": "str",
    "PathConverter": "path",
    "UUIDConverter": "uuid",
}


def _flask(app: Any, params: Mapping[str, str]) -> list[RouteSpec]:
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        methods = frozenset(m.upper() for m in (rule.methods or ()))
        spec = RouteSpec(rule.rule, None, methods, name=rule.endpoint)
        static_folder = _flask_static_folder(app, rule.endpoint)
        if static_folder is not None:
            spec = _flask_static(spec, rule, static_folder, params)
        else:
            kinds = {
                name: _werkzeug_kind(converter) for name, converter in rule._converters.items()
            }
            path, reason = _fill(rule.rule, _FLASK_PARAMETER, kinds, params)
            spec = replace(spec, path=path, skipped=reason)
        if spec.path is not None and spec.skipped is None:
            spec = _flask_verified(spec, adapter, rule)
        routes.append(spec)
    return routes


def _werkzeug_kind(converter: object) -> str | None:
    name = type(converter).__name__
    if name == "AnyConverter":
        items = sorted(getattr(converter, "items", ()) or ())
        return f"any:{items[0]}" if items else None
    return _WERKZEUG_KINDS.get(name)


def _flask_static_folder(app: Any, endpoint: str) -> str | None:
    if endpoint == "static":
        return str(app.static_folder) if app.static_folder else None
    blueprint, _, rest = endpoint.rpartition(".")
    if rest == "static" and blueprint in app.blueprints:
        folder = app.blueprints[blueprint].static_folder
        return str(folder) if folder else None
    return None


def _flask_static(spec: RouteSpec, rule: Any, folder: str, params: Mapping[str, str]) -> RouteSpec:
    spec = replace(spec, serves_file=True)
    (argument,) = rule.arguments or ("filename",)
    chosen = params.get(argument) or _first_file(folder)
    if chosen is None:
        return replace(spec, skipped=f"the static folder {folder} has no file to request")
    path, reason = _fill(rule.rule, _FLASK_PARAMETER, {}, {argument: chosen})
    return replace(spec, path=path, skipped=reason)


def _flask_verified(spec: RouteSpec, adapter: Any, rule: Any) -> RouteSpec:
    """The filled path must reach this rule again, or the route is skipped."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import RequestRedirect

    method = "GET" if spec.methods and "GET" in spec.methods else sorted(spec.methods or {""})[0]
    assert spec.path is not None
    try:
        matched, _ = adapter.match(spec.path, method=method or None, return_rule=True)
    except RequestRedirect as redirect:
        return replace(spec, skipped=f"{spec.path} redirects to {redirect.new_url}")
    except HTTPException as exc:
        return replace(spec, skipped=f"{spec.path} does not match it ({exc.code})")
    if matched.rule != rule.rule:
        return replace(spec, skipped=f"{spec.path} is routed to {matched.rule} instead")
    return spec


# -- Django ------------------------------------------------------------------------------------

_DJANGO_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_DJANGO_KINDS = {
    "IntConverter": "int",
    "StringConverter": "str",
    "SlugConverter": "slug",
    "UUIDConverter": "uuid",
    "PathConverter": "path",
}


def _django(handler: Any, params: Mapping[str, str]) -> list[RouteSpec]:
    from django.urls import get_resolver

    resolver = get_resolver()
    routes = []
    for pattern, converters, callback, name in _django_patterns(resolver.url_patterns, "", {}):
        routes.append(_django_route(pattern, converters, callback, name, params))
    return routes


def _django_patterns(
    patterns: Sequence[Any], prefix: str, converters: Mapping[str, object]
) -> Iterator[tuple[str, Mapping[str, object], Callable[..., object], str]]:
    from django.urls import URLResolver
    from django.urls.resolvers import RegexPattern, RoutePattern

    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            text = str(pattern)
            found = {**converters, **pattern.converters}
        elif isinstance(pattern, RegexPattern):
            regex = str(pattern)
            plain = _plain_regex(regex)
            found = dict(converters)
            if plain is None:
                yield (prefix + regex, found, _UNFILLABLE, getattr(entry, "name", "") or "")
                continue
            text = plain
        else:  # LocalePrefixPattern and friends
            text = str(pattern)
            found = dict(converters)
        if isinstance(entry, URLResolver):
            yield from _django_patterns(entry.url_patterns, prefix + text, found)
        else:
            yield prefix + text, found, entry.callback, entry.name or ""


def _UNFILLABLE() -> None:  # noqa: N802 - a marker standing in for a view
    """Stands in for the view of a route given as a regular expression with groups."""


def _plain_regex(regex: str) -> str | None:
    """A regular expression route as a path, when it is a literal one (``^about/$``)."""
    text = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    unescaped = re.sub(r"\\(.)", r"\1", text)
    if re.search(r"[()\[\]*+?{}|^$]", unescaped.replace("\\", "")):
        return None
    return unescaped


def _django_route(
    pattern: str,
    converters: Mapping[str, object],
    callback: Callable[..., object],
    name: str,
    params: Mapping[str, str],
) -> RouteSpec:
    display = "/" + pattern
    if callback is _UNFILLABLE:
        return RouteSpec(
            display,
            None,
            name=name,
            skipped="a regular-expression route: give its path with --path",
        )
    kinds = {key: _DJANGO_KINDS.get(type(c).__name__) for key, c in converters.items()}
    path, reason = _fill(pattern, _DJANGO_PARAMETER, kinds, params)
    methods = _django_methods(callback)
    spec = RouteSpec(
        display,
        None if path is None else "/" + path,
        methods,
        name=name or getattr(callback, "__name__", ""),
        skipped=reason,
        serves_file=_django_serves_files(callback),
    )
    if spec.path is not None and reason is None:
        spec = _django_verified(spec, callback)
    return spec


def _django_methods(callback: Callable[..., object]) -> frozenset[str] | None:
    """A class-based view's methods, as ``View._allowed_methods`` computes them (with HEAD
    wherever there is GET, as ``View.setup`` adds it); ``None`` for a function view, whose
    methods only its code knows."""
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        return None
    names = getattr(view_class, "http_method_names", ())
    methods = {m.upper() for m in names if hasattr(view_class, m)}
    if "GET" in methods:
        methods.add("HEAD")
    return frozenset(methods)


def _django_serves_files(callback: Callable[..., object]) -> bool:
    module = getattr(callback, "__module__", "") or ""
    return module.startswith(("django.views.static", "django.contrib.staticfiles"))


def _django_verified(spec: RouteSpec, callback: Callable[..., object]) -> RouteSpec:
    from django.urls import Resolver404, resolve

    assert spec.path is not None
    try:
        match = resolve(spec.path)
    except Resolver404:
        return replace(spec, skipped=f"{spec.path} does not resolve")
    if match.func is not callback and getattr(match.func, "view_class", None) is not getattr(
        callback, "view_class", object()
    ):
        return replace(spec, skipped=f"{spec.path} resolves to {match.route or 'another view'}")
    return spec


# -- Starlette and FastAPI ---------------------------------------------------------------------

_STARLETTE_PARAMETER = re.compile(r"{(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)(?::(?P<converter>\w+))?}")
_STARLETTE_KINDS = {
    "IntegerConvertor": "int",
    "FloatConvertor": "float",
    "StringConvertor": "str",
    "PathConvertor": "path",
    "UUIDConvertor": "uuid",
}
_OPENAPI_KINDS = {"integer": "int", "number": "float", "string": "str", "boolean": None}


def _starlette(app: Any, params: Mapping[str, str]) -> list[RouteSpec]:
    openapi_kinds: dict[str, dict[str, str | None]] = {}
    openapi = getattr(app, "openapi", None)
    if callable(openapi) and getattr(app, "openapi_url", None):
        openapi_kinds = _openapi_kinds(openapi())
    return list(_starlette_routes(app.routes, "", {}, params, openapi_kinds))


def _starlette_routes(
    routes: Iterable[Any],
    prefix: str,
    convertors: Mapping[str, object],
    params: Mapping[str, str],
    openapi_kinds: Mapping[str, Mapping[str, str | None]],
) -> Iterator[RouteSpec]:
    """The routes under ``prefix``; ``convertors`` are those of the parameters in the paths
    of the mounts around them (``Mount("/users/{user_id:int}", routes=[...])``)."""
    from starlette.routing import Host, Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    for route in routes:
        path = prefix + getattr(route, "path", "")
        if isinstance(route, WebSocketRoute):
            yield RouteSpec(path, None, name=route.name or "", skipped="a WebSocket route")
        elif isinstance(route, Host):
            yield RouteSpec(path or "/", None, name=route.name or "", skipped="a Host route")
        elif isinstance(route, Mount):
            inner = route.app
            while not isinstance(inner, StaticFiles) and hasattr(inner, "app"):
                inner = inner.app  # middleware around the mounted app
            if isinstance(inner, StaticFiles):
                yield _static_files(path, route.name or "", inner, params)
            elif route.routes:
                # A mount's convertors include the "{path:path}" it adds for the rest of the
                # URL: only those of the parameters its own path names are the routes'.
                own = {m.group("name") for m in _STARLETTE_PARAMETER.finditer(route.path)}
                found = {
                    **convertors,
                    **{k: v for k, v in route.param_convertors.items() if k in own},
                }
                yield from _starlette_routes(route.routes, path, found, params, openapi_kinds)
            else:
                yield RouteSpec(
                    path + "/", None, name=route.name or "", skipped="a mounted application"
                )
        elif isinstance(route, Route):
            yield _starlette_route(route, path, convertors, params, openapi_kinds)
        else:
            yield RouteSpec(path or repr(route), None, skipped=f"a {type(route).__name__} route")


def _starlette_route(
    route: Any,
    path: str,
    convertors: Mapping[str, object],
    params: Mapping[str, str],
    openapi_kinds: Mapping[str, Mapping[str, str | None]],
) -> RouteSpec:
    methods = route.methods
    if methods is None:
        methods = _endpoint_methods(route.endpoint)
    kinds: dict[str, str | None] = {
        name: _STARLETTE_KINDS.get(type(convertor).__name__)
        for name, convertor in {**convertors, **route.param_convertors}.items()
    }
    for name, kind in openapi_kinds.get(_openapi_key(path), {}).items():
        if kinds.get(name) in (None, "str"):
            kinds[name] = kind
    filled, reason = _fill(path, _STARLETTE_PARAMETER, kinds, params)
    return RouteSpec(
        path,
        filled,
        frozenset(m.upper() for m in methods) if methods is not None else None,
        name=route.name or "",
        skipped=reason,
    )


def _endpoint_methods(endpoint: object) -> frozenset[str] | None:
    """The methods an ``HTTPEndpoint`` class implements (it answers the rest 405)."""
    if inspect.isclass(endpoint):
        methods = {m for m in _STANDARD_METHODS if hasattr(endpoint, m.lower())}
        if "GET" in methods:
            methods.add("HEAD")
        return frozenset(methods)
    return None


def _static_files(path: str, name: str, static: Any, params: Mapping[str, str]) -> RouteSpec:
    pattern = path + "/{path}"
    chosen = params.get("path") or _first_file(getattr(static, "directory", None))
    if chosen is None:
        return RouteSpec(
            pattern, None, name=name, serves_file=True, skipped="the static directory is empty"
        )
    return RouteSpec(
        pattern,
        f"{path}/{chosen}",
        frozenset({"GET", "HEAD"}),
        name=name,
        serves_file=True,
    )


def _openapi_key(path: str) -> str:
    return _STARLETTE_PARAMETER.sub(lambda m: "{" + m.group("name") + "}", path)


def _openapi_kinds(document: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """Path → parameter name → kind, from an OpenAPI document's path parameters."""
    kinds: dict[str, dict[str, str | None]] = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        found: dict[str, str | None] = {}
        operations = [op for op in item.values() if isinstance(op, Mapping)]
        for parameter in [*item.get("parameters", ()), *_operation_parameters(operations)]:
            if isinstance(parameter, Mapping) and parameter.get("in") == "path":
                schema = parameter.get("schema") or {}
                kind = _schema_kind(schema)
                found.setdefault(str(parameter.get("name")), kind)
        kinds[path] = found
    return kinds


def _operation_parameters(operations: Iterable[Mapping[str, Any]]) -> Iterator[object]:
    for operation in operations:
        yield from operation.get("parameters", ()) or ()


def _schema_kind(schema: Mapping[str, Any]) -> str | None:
    if schema.get("format") == "uuid":
        return "uuid"
    kind = schema.get("type")
    if kind is None:
        for option in schema.get("anyOf", ()) or ():
            if isinstance(option, Mapping) and option.get("type") not in (None, "null"):
                return _schema_kind(option)
        return None
    return _OPENAPI_KINDS.get(str(kind))


def routes_from_openapi(document: Mapping[str, Any], params: Mapping[str, str]) -> list[RouteSpec]:
    """The routes of an OpenAPI document (``/openapi.json`` of a running FastAPI app)."""
    kinds = _openapi_kinds(document)
    routes = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        methods = {m.upper() for m in item if m.upper() in _STANDARD_METHODS}
        filled, reason = _fill(str(path), _STARLETTE_PARAMETER, kinds.get(path, {}), params)
        routes.append(RouteSpec(str(path), filled, frozenset(methods), skipped=reason))
    return routes
