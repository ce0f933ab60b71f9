"""``docs/proxy.md`` is what nginx really does in front of gunicorn and uvicorn, guarded or not.

One nginx 1.22 (Debian's package) per upstream server, with keep-alive to the upstream, reused
by every case of this module.  Each broken route of :mod:`apps.proxied` is requested through
nginx unguarded (``/raw/...``) and in fix mode (``/fix/...``); what the client gets is reduced
to a short verdict, and the verdicts must be the table of ``docs/proxy.md``.  After every case
a second client's request goes through the same pool of upstream connections, so stray bytes
left on a pooled connection cannot leak into the next case; the poisoning itself is
:func:`test_stray_content_reaches_another_clients_request`.

nginx is installed by ``scripts/test.sh`` (``apt-get install nginx``) where it is missing; where
it cannot be, these tests are skipped with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apps.proxied import ROUTES
from apps.routes import Route
from support import nginx, servers, wire

PAGE = Path(__file__).resolve().parents[2] / "docs" / "proxy.md"
UPSTREAMS = {
    "gunicorn-gthread": "apps.proxied:wsgi",
    "uvicorn-h11": "apps.proxied:asgi",
    "uvicorn-httptools": "apps.proxied:asgi",
}
CLIENT_TIMEOUT = 5.0  # longer than nginx's proxy_read_timeout: nginx always answers first
NEXT = "/raw/plain"  # the next client's request
ROUNDS = 10  # tries at reproducing the poisoning (it shows in the first two or three)
_NO_CONTENT = {204, 205, 304}

Proxies = Callable[[str], nginx.Nginx]


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    binary = nginx.executable()
    if binary is None:
        pytest.skip(
            "nginx is not installed and scripts/test.sh could not install it "
            "(apt-get install nginx): docs/proxy.md is not checked here"
        )
    return binary


@pytest.fixture(scope="module")
def proxies(nginx_binary: str) -> Iterator[Proxies]:
    """``proxies(server)``: nginx in front of ``server``, each started once for the module."""
    running: dict[str, tuple[servers.Server, nginx.Nginx]] = {}

    def get(name: str) -> nginx.Nginx:
        if name not in running:
            upstream = servers.start(name, UPSTREAMS[name])
            try:
                running[name] = (upstream, nginx.start(nginx_binary, upstream.address))
            except BaseException:
                upstream.stop()
                raise
        return running[name][1]

    try:
        yield get
    finally:
        for upstream, proxy in running.values():
            proxy.stop()
            upstream.stop()


def test_it_is_nginx_1_22(nginx_binary: str) -> None:
    assert nginx.version(nginx_binary).startswith("nginx/1.22."), (
        "docs/proxy.md was measured with nginx 1.22 (Debian 12's package); "
        "measure again and update the page for another version"
    )


# --------------------------------------------------------------------------------------------
# what the client gets


def verdict(route: Route, ex: wire.Exchange) -> str:
    """What the client got for ``route``, in the words of the page's table."""
    reply = ex.first
    if reply is None:
        return "no response" if not ex.raw else "garbage"
    problems = []
    if reply.status != route.status:
        problems.append(f"**{reply.status}**")
    if not reply.complete:
        problems.append("cut short")
    if reply.status == route.status:
        if reply.body and (route.status in _NO_CONTENT or route.method == "HEAD"):
            problems.append("content passed on")
        if route.status == 204 and reply.raw_values(b"content-length"):
            problems.append("`Content-Length` on the 204")
        if reply.complete and route.status not in _NO_CONTENT and route.method != "HEAD":
            declared = reply.raw_values(b"content-length")
            if not declared and reply.body != route.body:
                problems.append("content changed")
        if reply.raw_values(b"x-injected"):
            problems.append("injected line passed on")
    dates = len(reply.raw_values(b"date"))
    if dates != 1:
        problems.append(f"{dates} `Date` lines")
    return ", ".join(problems) or "ok"


def poisoned(ex: wire.Exchange) -> bool:
    """The next client did not get its plain 200."""
    reply = ex.first
    return reply is None or (reply.status, reply.complete, reply.body) != (200, True, b"plain")


def _request(proxy: nginx.Nginx, method: str, path: str) -> wire.Exchange:
    return wire.exchange(proxy.address, method, path, pipeline=None, timeout=CLIENT_TIMEOUT)


def _case(proxy: nginx.Nginx, route: Route, path: str) -> str:
    result = verdict(route, _request(proxy, route.method, path))
    # The next client's request takes the connection this case left in the pool: a poisoned
    # one is used up here (the poisoning test shows what that client gets).
    _request(proxy, "GET", NEXT)
    return result


CASES: list[tuple[Route, str]] = [
    *((route, "") for route in ROUTES if route.path != "/plain"),
    *((route, "/pass-date") for route in ROUTES if route.path.startswith("/date")),
]


def _label(route: Route, location: str) -> str:
    extra = " (`proxy_pass_header Date`)" if location else ""
    return f"`{route.path}`{extra}"


def measure(proxies: Proxies, guard: str) -> dict[str, list[str]]:
    """Case label → the verdict under each upstream, for ``/raw`` or ``/fix``."""
    table: dict[str, list[str]] = {}
    for name in UPSTREAMS:
        proxy = proxies(name)
        for route, location in CASES:
            path = f"{location}/{guard}{route.path}"
            table.setdefault(_label(route, location), []).append(_case(proxy, route, path))
    return table


def page_table() -> dict[str, list[str]]:
    """The table of docs/proxy.md under its ``measured`` marker: first cell → the others."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("<!-- measured by tests/tools/test_docs_proxy.py -->")
    rows: dict[str, list[str]] = {}
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in ("the app sends", "") or set(cells[0]) <= {"-", ":"}:
            continue
        rows[cells[1]] = cells[2:]  # cells[0] says what the route is; cells[1] is its path
    return rows


def _markdown(table: dict[str, list[str]]) -> str:
    descriptions = {_label(r, loc): r.description for r, loc in CASES}
    return "\n".join(
        f"| {descriptions[label]} | {label} | " + " | ".join(cells) + " |"
        for label, cells in table.items()
    )


def test_the_page_shows_what_nginx_does_without_the_guard(proxies: Proxies) -> None:
    measured = measure(proxies, "raw")
    assert page_table() == measured, (
        "docs/proxy.md no longer says what nginx does; measured:\n" + _markdown(measured)
    )


def test_behind_nginx_every_case_is_clean_with_the_guard(proxies: Proxies) -> None:
    measured = measure(proxies, "fix")
    dirty = {label: cells for label, cells in measured.items() if set(cells) != {"ok"}}
    assert not dirty, _markdown(dirty)


# --------------------------------------------------------------------------------------------
# another client's request


@pytest.mark.parametrize("path", ["/304-cl-body", "/204-cl"])
def test_stray_content_reaches_another_clients_request(proxies: Proxies, path: str) -> None:
    """uvicorn-httptools writes the content of a 304 or 204 that declares a Content-Length;
    nginx ends the response at its head and puts the connection back in its pool, the content
    still on it; the next request sent on it, another client's, reads those bytes first."""
    proxy = proxies("uvicorn-httptools")
    for _ in range(ROUNDS):
        first = _request(proxy, "GET", f"/raw{path}")
        mark = proxy.log_mark()
        other = _request(proxy, "GET", NEXT)
        if poisoned(other):
            break
    else:
        pytest.fail(f"the poisoning was not reproduced in {ROUNDS} rounds")
    assert first.first is not None and first.first.status == int(path[1:4])
    assert not other.raw.startswith(b"HTTP/1.1 200")
    assert re.search(rb"^hello", other.raw) or not other.raw, other.describe()
    assert any("upstream sent no valid HTTP/1.0 header" in e for e in proxy.errors_since(mark))
    for _ in range(ROUNDS):  # the same with the guard: the next client always gets its 200
        _request(proxy, "GET", f"/fix{path}")
        other = _request(proxy, "GET", NEXT)
        assert not poisoned(other), other.describe()
