"""``docs/proxy.md`` is what nginx really does in front of eight server setups, guarded or not.

One nginx 1.22 (Debian's package) per upstream server -- gunicorn (gthread), uvicorn (h11 and
httptools), hypercorn, waitress, granian (WSGI and ASGI) and daphne, each serving
:mod:`apps.proxied` -- with keep-alive to the upstream, started once and reused by every case of
this module.  Each route of :mod:`apps.proxied` is requested through nginx unguarded
(``/raw/...``) and in fix mode (``/fix/...``); what the client gets is reduced to a short
verdict, and the unguarded verdicts must be the table of ``docs/proxy.md`` (its columns too).
After every case a second client's request goes through the same pool of upstream connections,
so stray bytes left on a pooled connection cannot leak into the next case; the poisoning itself
is :func:`test_stray_content_reaches_another_clients_request`.

nginx is installed by ``scripts/test.sh`` (``apt-get install nginx``) where it is missing; where
it cannot be, these tests are skipped with that reason.
"""

from __future__ import annotations

import concurrent.futures
import importlib.metadata
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apps.proxied import ROUTES
from apps.routes import Route
from support import nginx, servers, wire

PAGE = Path(__file__).resolve().parents[2] / "docs" / "proxy.md"
# Each upstream server (a name of support.servers) and its column in the page's table, in order;
# it serves apps.proxied's WSGI or ASGI app as the server is one or the other.
UPSTREAMS = {
    "gunicorn-gthread": "gunicorn (gthread)",
    "uvicorn-h11": "uvicorn-h11",
    "uvicorn-httptools": "uvicorn-httptools",
    "hypercorn": "hypercorn",
    "waitress": "waitress",
    "granian-wsgi": "granian (WSGI)",
    "granian-asgi": "granian (ASGI)",
    "daphne": "daphne",
}
CLIENT_TIMEOUT = 5.0  # longer than nginx's proxy_read_timeout: nginx always answers first
NEXT = "/raw/plain"  # the next client's request
ROUNDS = 10  # tries at reproducing the poisoning (it shows in the first two or three)
_NO_CONTENT = {204, 205, 304}
# Where content is left on a pooled connection without the guard, and the request that takes
# that connection next fails -- on some runs, not all: which request takes it is nginx's choice,
# and waitress sends the content of a HEAD response after its head only when its threads race.
# The table does not check the next client's request there (None: in any case); the tests at
# the end of the module do: uvicorn-httptools after a 304 or a 204 with a Content-Length,
# waitress after a HEAD.
POISONS: dict[str, frozenset[str] | None] = {
    "uvicorn-httptools": None,
    "waitress": frozenset({"/head-body"}),
}
POISONED = "next client's request broken"
CLIENTS = 4  # clients at once, for the waitress race
RACE_PAIRS = 4000  # at most, until the waitress race poisons a connection (~1 pair in 200 here)
FIX_PAIRS = 1000  # request pairs in fix mode, where none may poison a connection
RACE_TIMEOUT = 2.0

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
            upstream = servers.start(name, f"apps.proxied:{servers.kind_of(name)}")
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


def _servers_table() -> list[list[str]]:
    """The rows of the page's table of servers (``| column | server | interface | versions
    seen |``)."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("| column | server | interface | versions seen |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_page_names_each_server_its_interface_and_the_versions_installed() -> None:
    rows = _servers_table()
    interfaces = {label: servers.kind_of(name).upper() for name, label in UPSTREAMS.items()}
    assert {row[0]: row[2] for row in rows} == interfaces
    assert [row[0] for row in rows] == list(UPSTREAMS.values())
    for row in rows:
        for seen in row[3].split(", "):
            distribution, version = seen.split(" ")
            assert importlib.metadata.version(distribution) == version, (
                f"docs/proxy.md was measured with {seen}: measure again and update the page"
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
        # Content-Type describes content: a 304 may go without it (RFC 9110 §15.4.5), and
        # fix mode drops it there.
        content = route.status not in _NO_CONTENT
        if content and _declared(route, "content-type") and not reply.raw_values(b"content-type"):
            problems.append("`Content-Type` lost")
    dates = reply.raw_values(b"date")
    if len(dates) != 1:
        problems.append(f"{len(dates)} `Date` lines")
    elif not wire.is_imf_fixdate(dates[0]):
        problems.append("invalid `Date` passed on")
    return ", ".join(problems) or "ok"


def _declared(route: Route, name: str) -> bool:
    return any(field.lower() == name for field, _ in route.headers)


def poisoned(ex: wire.Exchange) -> bool:
    """The next client did not get its plain 200."""
    reply = ex.first
    return reply is None or (reply.status, reply.complete, reply.body) != (200, True, b"plain")


def _request(
    proxy: nginx.Nginx, method: str, path: str, timeout: float = CLIENT_TIMEOUT
) -> wire.Exchange:
    return wire.exchange(proxy.address, method, path, pipeline=None, timeout=timeout)


def _case(proxy: nginx.Nginx, route: Route, path: str, *, check_next: bool) -> str:
    result = verdict(route, _request(proxy, route.method, path))
    # The next client's request takes the connection this case left in the pool: a poisoned
    # one is used up here (the poisoning test shows what that client gets).
    other = _request(proxy, "GET", NEXT)
    if check_next and poisoned(other):
        result = POISONED if result == "ok" else f"{result}, {POISONED}"
    return result


CASES: list[tuple[Route, str]] = [
    *((route, "") for route in ROUTES if route.path != "/plain"),
    *((route, "/pass-date") for route in ROUTES if route.path.startswith("/date")),
]


def _label(route: Route, location: str) -> str:
    extra = " (`proxy_pass_header Date`)" if location else ""
    return f"`{route.path}`{extra}"


def measure_upstream(proxies: Proxies, name: str, guard: str) -> dict[str, str]:
    """Case label → the verdict behind nginx in front of ``name``, for ``/raw`` or ``/fix``."""
    proxy = proxies(name)
    return {
        _label(route, location): _case(
            proxy,
            route,
            f"{location}/{guard}{route.path}",
            check_next=guard == "fix" or not _may_poison(name, route),
        )
        for route, location in CASES
    }


def _may_poison(name: str, route: Route) -> bool:
    if name not in POISONS:
        return False
    paths = POISONS[name]
    return paths is None or route.path in paths


def measure(proxies: Proxies, guard: str) -> dict[str, list[str]]:
    """Case label → the verdict under each upstream, in the order of :data:`UPSTREAMS`."""
    columns = [measure_upstream(proxies, name, guard) for name in UPSTREAMS]
    return {label: [column[label] for column in columns] for label in columns[0]}


def page_table() -> tuple[list[str], dict[str, list[str]]]:
    """The table of docs/proxy.md under its ``measured`` marker: its server columns, and
    each row's second cell (the route) → the cells after it."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("<!-- measured by tests/tools/test_docs_proxy.py -->")
    columns: list[str] = []
    rows: dict[str, list[str]] = {}
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "the app sends":
            columns = cells[2:]
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        rows[cells[1]] = cells[2:]  # cells[0] says what the route is; cells[1] is its path
    return columns, rows


def _markdown(table: dict[str, list[str]]) -> str:
    descriptions = {_label(r, loc): r.description for r, loc in CASES}
    return "\n".join(
        f"| {descriptions[label]} | {label} | " + " | ".join(cells) + " |"
        for label, cells in table.items()
    )


def test_the_page_shows_what_nginx_does_without_the_guard(proxies: Proxies) -> None:
    measured = measure(proxies, "raw")
    assert page_table() == (list(UPSTREAMS.values()), measured), (
        "docs/proxy.md no longer says what nginx does; measured ("
        + " | ".join(UPSTREAMS.values())
        + "):\n"
        + _markdown(measured)
    )


# What fix mode leaves unclean behind nginx, per upstream: the case and what the client gets.
FIX_MODE_DEFECTS: dict[str, dict[str, str]] = {
    # (none since statusguard knows that granian's WSGI interface reads the head as soon as the
    # application returns: ServerProfile.holds_head; test_granian_wsgi_gets_the_head_in_time.)
}


def page_fix_mode_defects() -> dict[str, dict[str, str]]:
    """The page's table of what fix mode leaves unclean: server → route → verdict."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("<!-- fix mode: measured by tests/tools/test_docs_proxy.py -->")
    names = {label: name for name, label in UPSTREAMS.items()}
    defects: dict[str, dict[str, str]] = {}
    for line in text[start:].splitlines()[3:]:  # the marker, a blank line, the header
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if set(cells[0]) <= {"-", ":"}:
            continue
        defects.setdefault(names[cells[0]], {})[cells[2]] = cells[3]
    return defects


def test_the_page_shows_what_fix_mode_leaves_unclean() -> None:
    assert page_fix_mode_defects() == FIX_MODE_DEFECTS


@pytest.mark.parametrize("server", UPSTREAMS)
def test_behind_nginx_every_case_is_clean_with_the_guard(proxies: Proxies, server: str) -> None:
    measured = measure_upstream(proxies, server, "fix")
    dirty = {label: cell for label, cell in measured.items() if cell != "ok"}
    assert dirty == FIX_MODE_DEFECTS.get(server, {})


def test_granian_wsgi_gets_the_head_in_time(proxies: Proxies) -> None:
    """granian 2.8.9's WSGI runner reads the status and the fields as soon as the application
    returns (granian/wsgi.py, _runner).  When the guard held a stream's head until its first
    chunk, a correct streamed 404 left granian as a 200 without any of the application's
    fields; its profile (``holds_head=False``) now has the head go out before the application
    returns, without nginx as behind it."""
    upstream = proxies("granian-wsgi").upstream
    raw = wire.exchange(upstream, "GET", "/raw/stream-404", pipeline=None).first
    assert raw is not None and raw.status == 404
    assert raw.raw_values(b"content-type") == [b"text/plain"]
    assert raw.raw_values(b"content-length") == [b"9"]
    fixed = wire.exchange(upstream, "GET", "/fix/stream-404", pipeline=None).first
    assert fixed is not None and fixed.complete
    assert (fixed.status, fixed.body) == (404, b"not found")
    assert fixed.raw_values(b"content-type") == [b"text/plain"]
    assert fixed.raw_values(b"content-length") == [b"9"]


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


def _pairs(
    proxy: nginx.Nginx, method: str, path: str, limit: int, *, until_poisoned: bool
) -> tuple[int, list[wire.Exchange]]:
    """Up to ``limit`` pairs of ``method path`` then another client's ``GET``, from
    :data:`CLIENTS` clients at once: how many were sent, and the other clients' exchanges
    that did not get their 200."""
    lock = threading.Lock()
    sent = 0
    broken: list[wire.Exchange] = []

    def client() -> None:
        nonlocal sent
        while True:
            with lock:
                if sent >= limit or (until_poisoned and broken):
                    return
                sent += 1
            # A HEAD that takes a poisoned connection gets nothing, its connection left open:
            # the clients give up sooner than CLIENT_TIMEOUT (still after nginx's read time-out).
            _request(proxy, method, path, RACE_TIMEOUT)
            other = _request(proxy, "GET", NEXT, RACE_TIMEOUT)
            if poisoned(other):
                with lock:
                    broken.append(other)

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client) for _ in range(CLIENTS)]:
            future.result()
    return sent, broken


def test_content_on_head_from_waitress_reaches_another_clients_request(
    nginx_binary: str, proxies: Proxies
) -> None:
    """waitress sends the content of a response to HEAD, in a second write after the head
    (``write_soon`` twice, waitress/task.py): when its I/O thread sends the head before the
    content is queued, nginx ends the response at its head and puts the connection back in its
    pool; the content arrives on it after, and the next request sent on it, another client's,
    reads those bytes first.  It takes clients at once for the threads to race."""
    upstream = proxies("waitress").upstream
    # A fresh nginx (its own pool of upstream connections) for each half: content left on a
    # pooled connection by a request still under way when the first half stops must not reach
    # the second.
    with nginx.proxy(nginx_binary, upstream) as proxy:
        mark = proxy.log_mark()
        sent, broken = _pairs(proxy, "HEAD", "/raw/head-body", RACE_PAIRS, until_poisoned=True)
        assert broken, f"the poisoning was not reproduced in {sent} request pairs"
        errors = proxy.errors_since(mark)
    assert any("upstream sent no valid HTTP/1.0 header" in e for e in errors), errors
    assert not broken[0].raw.startswith(b"HTTP/1.1 200")
    assert re.search(rb"^hello", broken[0].raw) or not broken[0].raw, broken[0].describe()
    with nginx.proxy(nginx_binary, upstream) as proxy:  # with the guard: never
        sent, broken = _pairs(proxy, "HEAD", "/fix/head-body", FIX_PAIRS, until_poisoned=False)
    assert sent == FIX_PAIRS
    assert not broken, broken[0].describe()
