"""``statusguard check``: from the command line's words to an :class:`~.auditor.Audit`.

What is audited: the bundled example (no APP); an app in process (``module:attr``, a factory
``module:create_app`` or ``module:create_app()``, or a Django project by ``--django-settings``);
or a running server (``http://HOST:PORT``), over a raw socket.  Which routes: ``--path``
entries, else the routes the router knows plus the module's ``STATUSGUARD_PATHS``, else ``/``.
A path is a route to probe; ``"METHOD /path"`` is one request sent as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TextIO, cast

from .. import demo
from .._client import AppError, ASGIApp, Request, detect_protocol, load_app
from .auditor import Audit, audit_routes
from .example import app as example_app
from .example import route_specs as example_routes
from .progress import Progress
from .report import as_json, render_html, render_junit, summary_line, write_text
from .routes import DiscoveryError, RouteSpec, discover, routes_from_openapi
from .transport import (
    ASGITransport,
    GuardOptions,
    Transport,
    WireTransport,
    WSGITransport,
    parse_base_url,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["CheckUsageError", "run_check"]

DEMO = "statusguard.demo"
EXAMPLE = "statusguard.audit.example:app"


class CheckUsageError(Exception):
    """A mistake in what ``check`` was told to audit: one line, exit status 2."""


@dataclass(slots=True)
class Job:
    """One app to audit: how to reach it and its routes."""

    label: str
    transport: Transport
    routes: list[RouteSpec]


# -- the words of the command line ------------------------------------------------------------


def _entry(entry: object, where: str) -> tuple[str | None, str, str]:
    """A path (``"/x"``), a request line (``"HEAD /x"``, ``"GET /x HTTP/1.0"``) or a tuple
    ``(method, path)`` / ``(method, path, http_version)``: ``(method or None, path, version)``."""
    parts: Sequence[object]
    if isinstance(entry, str):
        parts = entry.split()
    elif isinstance(entry, (tuple, list)):
        parts = entry
    else:
        parts = ()
    if not 1 <= len(parts) <= 3 or not all(isinstance(p, str) for p in parts):
        raise CheckUsageError(
            f"{where}: {entry!r} is not a path, 'METHOD /path' or (method, path)"
        )
    text = cast(Sequence[str], parts)
    if len(text) == 1:
        method, path, version = None, text[0], "1.1"
    else:
        method, path = text[0].upper(), text[1]
        version = text[2].removeprefix("HTTP/") if len(text) == 3 else "1.1"
        if not method.isalpha():
            raise CheckUsageError(f"{where}: {text[0]!r} is not an HTTP method")
    if not path.startswith("/"):
        raise CheckUsageError(f"{where}: the path {path!r} must start with /")
    return method, path, version


def _declared(module: ModuleType | None) -> list[tuple[str | None, str, str]] | None:
    declared = getattr(module, "STATUSGUARD_PATHS", None) if module is not None else None
    if declared is None:
        return None
    where = f"{getattr(module, '__name__', '?')}.STATUSGUARD_PATHS"
    if isinstance(declared, str) or not isinstance(declared, Iterable):
        raise CheckUsageError(f"{where} must be a list of paths or (method, path) pairs")
    entries = [_entry(item, where) for item in declared]
    if not entries:
        raise CheckUsageError(f"{where} is empty")
    return entries


def _params(values: Sequence[str] | None) -> dict[str, str]:
    params = {}
    for value in values or ():
        name, equals, text = value.partition("=")
        if not equals or not name.strip():
            raise CheckUsageError(f"--param takes NAME=VALUE, not {value!r}")
        params[name.strip()] = text
    return params


_PARAMETER = re.compile(r"<[^>]*>|{[^}]*}")


def _matches(pattern: str, path: str) -> bool:
    """Whether ``path`` could be a request for ``pattern`` (any parameter syntax)."""
    regex = ""
    position = 0
    for match in _PARAMETER.finditer(pattern):
        regex += re.escape(pattern[position : match.start()])
        regex += ".+" if "path" in match.group() else "[^/]+"
        position = match.end()
    regex += re.escape(pattern[position:])
    return re.fullmatch(regex, path.partition("?")[0]) is not None


def _spec(entry: tuple[str | None, str, str], discovered: Sequence[RouteSpec] | None) -> RouteSpec:
    method, path, version = entry
    if method is not None:
        return RouteSpec(path, path, request_method=method, http_version=version)
    known = next(
        (r for r in discovered or () if r.path == path or _matches(r.pattern, path)), None
    )
    if known is not None:
        return replace(known, path=path, skipped=None, http_version=version)
    return RouteSpec(path, path, http_version=version)


def _routes(
    entries: list[tuple[str | None, str, str]] | None,
    discovered: list[RouteSpec] | None,
    declared: list[tuple[str | None, str, str]] | None,
) -> list[RouteSpec]:
    """``--path`` entries alone; else the router's routes, each filled by a declared path
    that matches it, plus the declared paths that match none; else ``/``."""
    if entries:
        return [_spec(entry, discovered) for entry in entries]
    if discovered is None:
        return [_spec(entry, None) for entry in declared or [(None, "/", "1.1")]]
    routes = list(discovered)
    for entry in declared or ():
        spec = _spec(entry, discovered)
        if entry[0] is None:
            # A declared path fills the route it matches when the router's own could not be.
            index = next(
                (
                    i
                    for i, r in enumerate(routes)
                    if r.pattern == spec.pattern
                    and r.name == spec.name
                    and (r.path is None or r.skipped is not None)
                ),
                None,
            )
            if index is not None:
                routes[index] = spec
                continue
            if any(r.path == spec.path and r.request_method is None for r in routes):
                continue
        routes.append(spec)
    return routes


# -- the jobs ----------------------------------------------------------------------------------


def _options(args: argparse.Namespace, server: str, server_date: str) -> GuardOptions:
    return GuardOptions(args.mode, args.server or server, args.server_date or server_date)


def _demo_request(route: demo.Route) -> RouteSpec:
    headers = route.request
    return RouteSpec(
        route.path,
        route.path,
        request_method=route.method,
        http_version=route.http_version,
        request_headers=headers,
        name=route.rule,
    )


def _demo_jobs(
    args: argparse.Namespace, entries: list[tuple[str | None, str, str]] | None
) -> list[Job]:
    options = _options(args, demo.SERVER, demo.SERVER_DATE)
    by_path = {route.path: route for route in demo.ROUTES}
    examples = {spec.path: spec for spec in example_routes()}
    chosen: dict[str, list[RouteSpec]] = {"wsgi": [], "asgi": [], "example": []}
    if entries:
        for method, path, version in entries:
            route = by_path.get(path.partition("?")[0])
            if path in examples and method is None:
                chosen["example"].append(examples[path])
            elif route is not None:
                spec = _demo_request(route)
                chosen[route.protocol].append(
                    replace(spec, request_method=method or route.method, path=path)
                )
            else:  # the WSGI side answers 404
                chosen["wsgi"].append(
                    RouteSpec(path, path, request_method=method or "GET", http_version=version)
                )
    else:
        for route in demo.ROUTES:
            chosen[route.protocol].append(_demo_request(route))
        chosen["example"] = example_routes()
    jobs = []
    if chosen["wsgi"]:
        app = cast("WSGIApplication", demo.wsgi_app)
        jobs.append(
            Job(
                f"{DEMO}:wsgi_app", WSGITransport(f"{DEMO}:wsgi_app", app, options), chosen["wsgi"]
            )
        )
    if chosen["asgi"]:
        transport = ASGITransport(
            f"{DEMO}:asgi_app", cast(ASGIApp, demo.asgi_app), options, args.timeout
        )
        jobs.append(Job(f"{DEMO}:asgi_app", transport, chosen["asgi"]))
    if chosen["example"]:
        app = cast("WSGIApplication", example_app)
        jobs.append(Job(EXAMPLE, WSGITransport(EXAMPLE, app, options), chosen["example"]))
    return jobs


def _django_app(settings: str) -> object:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    try:
        from django.core.wsgi import get_wsgi_application
    except ImportError:
        raise CheckUsageError("--django-settings needs Django installed") from None
    try:
        return get_wsgi_application()
    except (Exception, SystemExit) as exc:
        text = " ".join(str(exc).split())
        raise CheckUsageError(
            f"setting up Django with {settings!r} failed: {type(exc).__name__}: {text}"
        ) from None


def _load(spec: str) -> tuple[object, ModuleType | None]:
    try:
        return load_app(spec)
    except AppError as exc:
        raise CheckUsageError(str(exc)) from None


def _discover(app: object, params: Mapping[str, str]) -> list[RouteSpec] | None:
    try:
        return discover(app, params)
    except DiscoveryError as exc:
        raise CheckUsageError(str(exc)) from None


def _app_job(
    args: argparse.Namespace,
    entries: list[tuple[str | None, str, str]] | None,
    params: Mapping[str, str],
) -> Job:
    module: ModuleType | None = None
    if args.django_settings:
        if args.app is None:
            app: object = _django_app(args.django_settings)
            label = f"{args.django_settings} (Django)"
        else:
            os.environ["DJANGO_SETTINGS_MODULE"] = args.django_settings
            app, module = _load(args.app)
            label = args.app
    else:
        app, module = _load(args.app)
        label = args.app
    try:
        protocol = detect_protocol(app)
    except AppError as exc:
        raise CheckUsageError(str(exc)) from None
    routes = _routes(entries, _discover(app, params), _declared(module))
    options = _options(args, "auto", "auto")
    transport: Transport
    if protocol == "wsgi":
        transport = WSGITransport(label, cast("WSGIApplication", app), options)
    else:
        try:
            transport = ASGITransport(label, cast(ASGIApp, app), options, args.timeout)
        except AppError as exc:
            raise CheckUsageError(f"{label}: {exc}") from None
    return Job(label, transport, routes)


def _wire_job(
    args: argparse.Namespace,
    entries: list[tuple[str | None, str, str]] | None,
    params: Mapping[str, str],
) -> Job:
    if args.mode != "warn":
        raise CheckUsageError(
            f"--mode {args.mode} needs an app in process: a server's responses are judged "
            "as they arrive"
        )
    try:
        base = parse_base_url(args.app)
        transport = WireTransport(base, args.timeout)
    except AppError as exc:
        raise CheckUsageError(str(exc)) from None
    discovered: list[RouteSpec] | None = None
    if args.routes_from:
        if args.django_settings:
            os.environ["DJANGO_SETTINGS_MODULE"] = args.django_settings
        app, _ = _load(args.routes_from)
        discovered = _discover(app, params)
        if discovered is None:
            raise CheckUsageError(f"{args.routes_from}: statusguard cannot read its routes")
    elif args.django_settings:
        # The project's URL resolver, as in process: the server's routes are its routes.
        discovered = _discover(_django_app(args.django_settings), params)
    elif not entries:
        discovered = _openapi_routes(transport, params, args.timeout)
    return Job(str(base), transport, _routes(entries, discovered, None))


def _openapi_routes(
    transport: WireTransport, params: Mapping[str, str], timeout: float
) -> list[RouteSpec] | None:
    """The routes of ``/openapi.json``, when the server has one (FastAPI's default)."""
    exchange, _ = transport.send(Request("GET", "/openapi.json"), timeout)
    if exchange.status != 200 or exchange.error is not None:
        return None
    try:
        document = json.loads(exchange.body)
    except ValueError:
        return None
    if not isinstance(document, dict) or "openapi" not in document:
        return None
    return routes_from_openapi(document, params)


def _jobs(args: argparse.Namespace) -> list[Job]:
    params = _params(args.params)
    entries = [_entry(p, "--path") for p in args.paths] if args.paths else None
    if args.routes_from and not (args.app or "").startswith(("http://", "https://")):
        raise CheckUsageError("--routes-from goes with a base URL (APP = http://HOST:PORT)")
    if args.app is None and not args.django_settings:
        return _demo_jobs(args, entries)
    if args.app is not None and "://" in args.app:
        return [_wire_job(args, entries, params)]
    return [_app_job(args, entries, params)]


# -- running and printing ----------------------------------------------------------------------


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO = sys.stderr) -> int:
    """Audit what ``args`` names, print the report; the exit status (0 or 1)."""
    if args.timeout <= 0:
        raise CheckUsageError(
            f"--timeout must be a positive number of seconds, not {args.timeout:g}"
        )
    unsafe = [m.upper() for m in args.methods or ()]
    audit = Audit()
    jobs: list[Job] = []
    try:
        jobs = _jobs(args)
        progress = Progress(err, sum(len(job.routes) for job in jobs))
        try:
            for job in jobs:
                audit.apps.append(job.label)
                audit.routes.extend(
                    audit_routes(
                        job.label,
                        job.transport,
                        job.routes,
                        timeout=args.timeout,
                        unsafe=unsafe,
                        progress=lambda route: progress.step(route.label),
                    )
                )
        finally:
            progress.close()
    finally:
        for job in jobs:
            job.transport.close()
    _write(audit, args, out)
    for route, probe in audit.failures:
        print(
            f"statusguard check: {probe.request} ({route.app}): {probe.error}",
            file=err,
        )
    return audit.exit_status


def _write(audit: Audit, args: argparse.Namespace, out: TextIO) -> None:
    render: Callable[[Audit], str] | None = {
        "json": lambda a: json.dumps(as_json(a), indent=2, ensure_ascii=False) + "\n",
        "junit": render_junit,
        "html": render_html,
    }.get(args.format)
    if args.output is not None:
        text = render(audit) if render is not None else _plain_text(audit)
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CheckUsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(summary_line(audit), file=out)
        return
    if render is not None:
        out.write(render(audit))
    else:
        write_text(audit, out)


def _plain_text(audit: Audit) -> str:
    import io

    buffer = io.StringIO()
    write_text(audit, buffer)
    return buffer.getvalue()
