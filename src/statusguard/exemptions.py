"""Leaving some responses alone: ``exclude_paths`` and the per-view :func:`exempt` marker.

A health check, a metrics endpoint, a proxied or legacy route: its responses go to the server
exactly as the application made them, are not judged, and are counted in
``stats().excluded``.  Two ways, both decided before any rule runs:

* ``exclude_paths=[...]`` on any guard (and in ``STATUSGUARD`` / ``app.config``): a path
  ``"/health"`` leaves out ``/health`` and everything below it (``/health/live``, not
  ``/healthz``); a path ending in ``/`` (``"/legacy/"``) what is below it; a compiled regular
  expression (``re.compile(r"/v1/.*\\.csv")``) the paths it matches in full.  The path is the
  request's (WSGI ``SCRIPT_NAME`` + ``PATH_INFO``, the ASGI scope's ``path``, Django's
  ``request.path``), without the query.
* :func:`exempt` on a view: a Flask view function, a Django view (function or class-based, as
  ``csrf_exempt``), a Starlette or FastAPI endpoint (or a mounted ASGI app).  The guard sees the
  marker once the framework has routed the request (Flask's ``StatusGuard``, Django's
  ``StatusGuardMiddleware``, ``ASGIStatusGuard`` for Starlette's routes).

Other routes pay nothing for it: with no ``exclude_paths`` the path is not read, and the
marker is looked for only once :func:`exempt` has been used in the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final, TypeVar

from .errors import ConfigurationError

__all__ = ["EXEMPT_ATTRIBUTE", "ExcludedPaths", "exempt", "is_exempt"]

EXEMPT_ATTRIBUTE: Final = "statusguard_exempt"
# The WSGI environ key the Flask integration sets for an exempt view.
ENVIRON_KEY: Final = "statusguard.exempt"

_V = TypeVar("_V")

# Whether exempt() was ever used in this process: until then no guard looks for the marker.
used = False


def exempt(view: _V) -> _V:
    """Mark ``view`` so that statusguard leaves its responses alone.  The view itself is marked
    and returned (no wrapper: a framework's decorators around it see the same function), so a
    function routed twice is exempt on both routes::

    @app.get("/health")           # Flask, FastAPI
    @exempt
    def health(): ...

    urlpatterns = [path("metrics", exempt(metrics_view))]   # Django
    """
    global used
    try:
        setattr(view, EXEMPT_ATTRIBUTE, True)
    except (AttributeError, TypeError):
        raise TypeError(
            f"exempt() needs a view it can mark (a function, a class, an ASGI app), not {view!r}"
        ) from None
    used = True
    return view


def is_exempt(obj: object) -> bool:
    """Whether ``obj`` (a view, an endpoint, a route) carries the :func:`exempt` marker."""
    return getattr(obj, EXEMPT_ATTRIBUTE, False) is True


def scope_is_exempt(scope: Any) -> bool:
    """Whether what Starlette (or FastAPI) routed this ASGI request to is exempt: the matched
    route (``scope["route"]``) or its endpoint, the endpoint of the innermost router, or the
    innermost application (a mounted sub-application marks itself ``scope["app"]``)."""
    route = scope.get("route")
    return (
        is_exempt(route)
        or is_exempt(getattr(route, "endpoint", None))
        or is_exempt(getattr(route, "app", None))
        or is_exempt(scope.get("endpoint"))
        or is_exempt(scope.get("app"))
    )


class ExcludedPaths:
    """The compiled ``exclude_paths`` option: ``path in excluded``."""

    __slots__ = ("entries", "exact", "pattern", "prefixes")

    def __init__(self, entries: Iterable[object]) -> None:
        if isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
            raise ConfigurationError(
                "exclude_paths must be a list of paths ('/health') or compiled regular "
                f"expressions, not {entries!r}"
            )
        exact: set[str] = set()
        prefixes: list[str] = []
        patterns: list[str] = []
        kept: list[str | re.Pattern[str]] = []
        for entry in entries:
            if isinstance(entry, re.Pattern):
                if not isinstance(entry.pattern, str):
                    raise ConfigurationError(
                        f"exclude_paths: {entry!r} is a bytes pattern; paths are str"
                    )
                patterns.append(f"(?:{entry.pattern})")
                kept.append(entry)
                continue
            if not isinstance(entry, str) or not entry.startswith("/"):
                raise ConfigurationError(
                    f"exclude_paths: {entry!r} is not a path starting with '/' nor a compiled "
                    "regular expression"
                )
            if "?" in entry or "#" in entry:
                raise ConfigurationError(
                    f"exclude_paths: {entry!r} has a query or fragment; give the path only"
                )
            if entry.endswith("/"):
                prefixes.append(entry)
            else:
                exact.add(entry)
                prefixes.append(entry + "/")
            kept.append(entry)
        self.entries: tuple[str | re.Pattern[str], ...] = tuple(kept)
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.pattern = re.compile("|".join(patterns)) if patterns else None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path in self.exact or path.startswith(self.prefixes):
            return True
        return self.pattern is not None and self.pattern.fullmatch(path) is not None

    def __repr__(self) -> str:
        return f"ExcludedPaths({list(self.entries)!r})"
