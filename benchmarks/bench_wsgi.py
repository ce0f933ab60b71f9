"""WSGI: the per-response cost of statusguard against the floor and the peers.

Per response = calling the application with a fresh environ, iterating the result to the end
and closing it, as a server does.  Contenders: the application called directly; a
pass-through middleware that only wraps ``start_response`` and returns the iterator (the
floor any middleware pays); ``WSGIStatusGuard`` in fix, warn and strict mode; werkzeug's
``LintMiddleware``; ``wsgiref.validate.validator``.
"""

from __future__ import annotations

import wsgiref.util
from collections.abc import Callable, Iterable, Iterator, Sequence
from io import BytesIO
from typing import TYPE_CHECKING
from wsgiref.validate import validator

from werkzeug.middleware.lint import LintMiddleware

from statusguard import StatusGuardError, WSGIStatusGuard

from ._quiet import quiet
from .cases import CASES, SCENARIOS, Case, Scenario, Variant
from .harness import Comparison, Contender, Pair, measure, measure_pairs

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "PassThrough",
    "contender_batch",
    "contenders",
    "make_app",
    "make_environ",
    "make_variant_app",
    "run",
    "scenario_pairs",
    "variant_batch",
]

MODES = ("fix", "warn", "strict")


class PassThrough:
    """The floor: a middleware that wraps ``start_response`` and returns the app's iterator."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def wrapped(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            return start_response(status, headers, exc_info)

        return self.app(environ, wrapped)


def _stream(chunks: tuple[bytes, ...]) -> Iterator[bytes]:
    yield from chunks


def make_app(case: Case) -> WSGIApplication:
    """The application of ``case``: it builds its header list on every response (see
    :meth:`Case.str_headers`) and returns a list, or a generator when the case streams."""
    status = case.status_line
    build_headers = case.str_headers()
    chunks = case.chunks
    streamed = case.streamed

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, build_headers())
        return _stream(chunks) if streamed else list(chunks)

    return app


def make_environ(case: Case) -> WSGIEnvironment:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": case.method,
        "QUERY_STRING": "",
        "SERVER_SOFTWARE": "gunicorn/27.0.1",  # a server statusguard knows (it adds Date)
        "wsgi.input": BytesIO(),
    }
    for name, value in case.request:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    wsgiref.util.setup_testing_defaults(environ)
    return environ


def _write(data: bytes) -> None:
    return None


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
) -> Callable[[bytes], object]:
    return _write


def _batch(app: WSGIApplication, environ: WSGIEnvironment) -> Callable[[int], object]:
    def batch(n: int) -> None:
        for _ in range(n):
            result = app(environ.copy(), _start_response)
            try:
                for _chunk in result:
                    pass
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return batch


def _raising_batch(app: WSGIApplication, environ: WSGIEnvironment) -> Callable[[int], object]:
    """For strict mode on a violation: the guard raises, as the server would see it."""

    def batch(n: int) -> None:
        for _ in range(n):
            try:
                result = app(environ.copy(), _start_response)
                try:
                    for _chunk in result:
                        pass
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            except StatusGuardError:
                pass

    return batch


def _contender(name: str, app: WSGIApplication, environ: WSGIEnvironment) -> Contender:
    try:
        _batch(app, environ)(1)
    except StatusGuardError:
        return Contender(name, _raising_batch(app, environ), "raises StatusGuardError")
    return Contender(name, _batch(app, environ))


def contenders(case: Case) -> list[Contender]:
    app = make_app(case)
    environ = make_environ(case)
    found = [
        _contender("direct", app, environ),
        _contender("pass-through", PassThrough(app), environ),
    ]
    for mode in MODES:
        found.append(_contender(f"statusguard {mode}", WSGIStatusGuard(app, mode=mode), environ))
    found.append(_contender("werkzeug LintMiddleware", LintMiddleware(app), environ))
    found.append(_contender("wsgiref validator", validator(app), environ))
    return found


def make_variant_app(variant: Variant) -> WSGIApplication:
    """The application of one variant of a scenario: each response built anew (see
    :meth:`Variant.str_responses`), its content in a one-item list."""
    status = variant.status_line
    respond = variant.str_responses()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers, body = respond()
        start_response(status, headers)
        return [body]

    return app


def variant_batch(app: WSGIApplication, variant: Variant) -> Callable[[int], object]:
    """As :func:`_batch`, with the request method of each response from the variant."""
    environ = make_environ(CASES[0])
    methods = variant.methods()

    def batch(n: int) -> None:
        for _ in range(n):
            request = environ.copy()
            request["REQUEST_METHOD"] = methods()
            result = app(request, _start_response)
            try:
                for _chunk in result:
                    pass
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return batch


def scenario_pairs(scenario: Scenario) -> list[Pair]:
    """Per variant: the application alone and behind ``WSGIStatusGuard`` in fix mode, each
    with its own sequence of responses."""
    pairs = []
    for variant in scenario.variants:
        direct = variant_batch(make_variant_app(variant), variant)
        guard = WSGIStatusGuard(make_variant_app(variant), mode="fix")
        pairs.append(
            Pair(
                variant.label,
                Contender("app", direct),
                Contender("statusguard fix", variant_batch(guard, variant)),
                warmup=variant.period,
            )
        )
    return pairs


def run(
    *,
    rounds: int = 30,
    loops: int | None = None,
    cases: Sequence[Case] = CASES,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> list[Comparison]:
    results = []
    with quiet():
        for case in cases:
            results.append(
                measure(
                    f"wsgi/{case.key}",
                    f"WSGI, {case.title}",
                    contenders(case),
                    rounds=rounds,
                    loops=loops,
                )
            )
        for scenario in scenarios:
            results.append(
                measure_pairs(
                    f"wsgi/{scenario.key}",
                    f"WSGI, fix mode, {scenario.title}",
                    scenario_pairs(scenario),
                    rounds=rounds,
                    loops=loops,
                )
            )
    return results


def contender_batch(app: WSGIApplication, case: Case) -> Callable[[int], object]:
    """``batch(n)``: ``n`` responses of ``case`` from ``app``, as the comparisons time them."""
    return _contender("app", app, make_environ(case)).batch
