"""Issue 13 on real servers: strict mode must never corrupt the wire nor fail correct pages.

Django (``contrib.django_fp_wsgi``, statusguard as ``StatusGuardMiddleware`` or as
``WSGIStatusGuard``) under gunicorn 27 and under Django's runserver server class; Flask's
``send_file`` under the werkzeug dev server.  Each request is followed by a pipelined
``GET /plain`` and the bytes are parsed with h11 (``support.wire``).  Tests marked
``xfail(strict=True)`` fail on 0.1 for the reason their marker names.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import pytest
from contrib.django_fp import configure, django_project
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from support import servers, wire

STRICT_DJANGO = {
    "DJANGO_SETTINGS_MODULE": "contrib.django_fp_settings",
    "STATUSGUARD_MODE": "strict",
}
APP = {
    "middleware": "contrib.django_fp_wsgi:application",
    "wsgi": "contrib.django_fp_wsgi:guarded",
}


@pytest.fixture(scope="module")
def gunicorn() -> Iterator[Callable[[str], servers.Server]]:
    """The Django project under gunicorn 27 (sync worker), strict, statusguard installed as
    ``get(integration)`` says; each server starts on first use and stops with the module."""
    with contextlib.ExitStack() as stack:
        started: dict[str, servers.Server] = {}

        def get(integration: str) -> servers.Server:
            if integration not in started:
                env = {**STRICT_DJANGO, "STATUSGUARD_INTEGRATION": integration}
                started[integration] = stack.enter_context(
                    servers.serve("gunicorn-sync", APP[integration], env=env)
                )
            return started[integration]

        yield get


INTEGRATIONS = ["wsgi", "middleware"]


# -- FP 1: Django's cookies -------------------------------------------------------------------


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_fp1_django_page_with_a_cookie_on_gunicorn(
    gunicorn: Callable[[str], servers.Server], integration: str
) -> None:
    ex = wire.exchange(gunicorn(integration), "GET", "/cookie")
    wire.assert_wire_clean(ex, expected_status=200, no_content=False)
    assert ex.first is not None
    assert ex.first.raw_values(b"set-cookie") == [b"csrftoken=abc; Path=/"]


# -- FP 2 and strict after commit: HEAD -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/page", "/stream", "/download"])
@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_fp2_django_head_on_gunicorn(
    gunicorn: Callable[[str], servers.Server], integration: str, path: str
) -> None:
    # gunicorn 27 drops a HEAD response's content itself.  Expected: the 200 head, nothing
    # after it, the connection intact.  On 0.1: a 500 (its page written as the content of a
    # HEAD response when the guard raised from the stream, which h11 refuses to parse).
    ex = wire.exchange(gunicorn(integration), "HEAD", path)
    wire.assert_wire_clean(ex, expected_status=200, no_content=True)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_strict_after_commit_ends_the_stream_cleanly_on_gunicorn(
    gunicorn: Callable[[str], servers.Server], integration: str
) -> None:
    # A stream past its Content-Length (12) shows it only after the head went out.
    # Expected: the response ends cleanly at its declared length and the violation is
    # reported (in the server's log).  On 0.1 StatusGuardError is raised into gunicorn,
    # which drops the connection after 10 of the 12 announced bytes.
    server = gunicorn(integration)
    mark = server.log_mark()
    ex = wire.exchange(server, "GET", "/stream-too-long")
    wire.assert_wire_clean(ex, expected_status=200, no_content=False)
    assert ex.first is not None and ex.first.body == b"0123456789ab"
    assert server.wait_for_log("content-length-mismatch", since=mark), server.logs(mark)


# -- FP 2 under Django's runserver ---------------------------------------------------------------


@pytest.fixture
def runserver(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """Django's runserver server class (``django.core.servers.basehttp.WSGIServer``, what
    ``manage.py runserver`` serves with) in a thread, on a port the OS picks, serving the
    project in strict mode installed as ``request.param``."""
    configure()
    with django_project(request.param, "strict") as (app, _):
        httpd = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
        httpd.set_app(app)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            host, port = httpd.server_address[:2]
            yield str(host), int(port)
        finally:
            httpd.shutdown()
            thread.join()
            httpd.server_close()


@pytest.mark.parametrize("runserver", INTEGRATIONS, indirect=True)
def test_fp2_django_head_on_runserver(runserver: tuple[str, int]) -> None:
    # runserver consumes a HEAD response's content without writing it (Django's
    # ServerHandler.finish_response).  Note for the redesign: its SERVER_SOFTWARE is
    # wsgiref's ("WSGIServer/0.2 CPython/3.x"), and plain wsgiref does write the content.
    ex = wire.exchange(runserver, "HEAD", "/page")
    wire.assert_wire_clean(ex, expected_status=200, no_content=True)


# -- FP 3: send_file under the werkzeug dev server ---------------------------------------------


@pytest.fixture(scope="module")
def werkzeug() -> Iterator[servers.Server]:
    with servers.serve("werkzeug", "contrib.flask_fp_app:strict") as server:
        yield server


def test_fp3_flask_send_file_on_the_werkzeug_dev_server(werkzeug: servers.Server) -> None:
    # Expected: the file, with exactly one valid Date on the wire (the guard repairs the
    # duplicate the server would make, and does not raise for it).
    ex = wire.exchange(werkzeug, "GET", "/report.txt")
    wire.assert_wire_clean(ex, expected_status=200, no_content=False)
    assert ex.first is not None and ex.first.body == b"quarterly report"


def test_two_dates_the_flask_app_sent_are_refused_on_the_werkzeug_dev_server(
    werkzeug: servers.Server,
) -> None:
    # What the application sent itself still raises in strict mode: the server answers 500
    # (passes on 0.1).
    ex = wire.exchange(werkzeug, "GET", "/two-dates")
    assert ex.first is not None and ex.first.status == 500, ex.describe()
