"""``statusguard check`` on input that goes wrong: each gives a one-line error (exit 2) or a
finding on its route (exit 1), never a traceback, and the rest of the audit still runs."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from statusguard.cli import main

TESTS = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.fixture(autouse=True)
def _in_tests_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TESTS)


@pytest.fixture
def release_slow_views() -> Iterator[None]:
    """The hanging Flask view waits on an event: let it go once the test is done."""
    from apps import audit_bad

    audit_bad.RELEASE.clear()
    yield
    audit_bad.RELEASE.set()


@pytest.mark.parametrize(
    ("app", "message"),
    [
        pytest.param(
            "apps.audit_bad:create_app",
            "the app factory apps.audit_bad:create_app() raised RuntimeError: "
            "DATABASE_URL is not set",
            id="factory raises",
        ),
        pytest.param(
            "apps.audit_bad:create_app()",
            "the app factory apps.audit_bad:create_app() raised RuntimeError",
            id="factory called explicitly raises",
        ),
        pytest.param(
            "apps.audit_bad:make_nothing",
            "the app factory apps.audit_bad:make_nothing() returned NoneType",
            id="factory returns nothing",
        ),
        pytest.param(
            "apps.audit_bad:create_app(os.environ)",
            "must be Python literals",
            id="factory arguments",
        ),
        pytest.param(
            "apps.no_such_module:app", "cannot import 'apps.no_such_module'", id="no module"
        ),
        pytest.param("http://127.0.0.1:notaport", "is not a number", id="bad port"),
        pytest.param("https://127.0.0.1:1", "must start with http://", id="https"),
    ],
)
def test_an_app_that_cannot_be_had_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], app: str, message: str
) -> None:
    status, out, err = run(capsys, app)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("statusguard check: error: ")
    assert message in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--param", "novalue"], "--param takes NAME=VALUE", id="param"),
        pytest.param(["--timeout", "0"], "--timeout must be a positive number", id="timeout"),
        pytest.param(["--format", "yaml"], "invalid choice: 'yaml'", id="format"),
        pytest.param(
            ["apps.audit_flask:app", "--routes-from", "apps.audit_flask:app"],
            "--routes-from goes with a base URL",
            id="routes-from without URL",
        ),
    ],
)
def test_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_views_that_raise_and_hang_are_findings_on_their_routes(
    capsys: pytest.CaptureFixture[str], release_slow_views: None
) -> None:
    status, out, err = run(capsys, "apps.audit_bad:app", "--timeout", "0.5", "--format", "json")
    assert status == 1
    report = json.loads(out)
    by_route = {r["route"]: r for r in report["routes"]}
    boom = by_route["/boom"]["probes"]
    assert [(p["probe"], p["status"], p["error"]) for p in boom[:2]] == [
        ("get", 500, "the application answered 500 Internal Server Error"),
        ("head", 500, "the application answered 500 Internal Server Error"),
    ]
    slow = by_route["/slow"]
    assert [(p["probe"], p["status"], p["error"]) for p in slow["probes"]] == [
        ("get", None, "no complete response within 0.5 s (--timeout)")
    ]
    assert slow["note"] == "3 more probes not sent: GET timed out"
    # The rest of the audit ran: /ok was probed in full, and is fine.
    assert [p["status"] for p in by_route["/ok"]["probes"]] == [200, 200, 200, 405]
    assert not by_route["/ok"]["failed"]
    assert report["summary"]["failures"] == 3
    assert err.splitlines() == [
        "statusguard check: GET /slow (apps.audit_bad:app): no complete response within "
        "0.5 s (--timeout)",
        "statusguard check: GET /boom (apps.audit_bad:app): the application answered 500 "
        "Internal Server Error",
        "statusguard check: HEAD /boom (apps.audit_bad:app): the application answered 500 "
        "Internal Server Error",
    ]


def test_an_asgi_app_that_raises_and_hangs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "apps.audit_bad:asgi_app", "--timeout", "0.5")
    assert status == 1
    assert out.splitlines()[-1] == (
        "statusguard: 3 routes, 3 responses checked, 4 failed, no violations."
    )
    assert err.splitlines() == [
        "statusguard check: GET /slow (apps.audit_bad:asgi_app): no complete response within "
        "0.5 s (--timeout)",
        *(
            f"statusguard check: {method} /boom (apps.audit_bad:asgi_app): the application "
            "raised RuntimeError: the cache is down"
            for method in ("GET", "HEAD", "OPTIONS")
        ),
    ]


# -- over the wire -----------------------------------------------------------------------------


def test_a_base_url_that_refuses_the_connection(capsys: pytest.CaptureFixture[str]) -> None:
    # A port nothing listens on: bound, never listened to, closed when the test is done.
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        status, out, err = run(capsys, f"http://127.0.0.1:{port}")
    assert (status, out) == (2, "")
    assert err == (
        f"statusguard check: error: cannot connect to 127.0.0.1:{port}: Connection refused\n"
    )


class _Answer(socketserver.BaseRequestHandler):
    answer = b""

    def handle(self) -> None:
        self.request.recv(65536)
        if self.answer:
            self.request.sendall(self.answer)
        else:
            self.server.stopping.wait(10)  # type: ignore[attr-defined]


@pytest.fixture
def fake_server() -> Iterator[Callable[[bytes], int]]:
    servers: list[socketserver.ThreadingTCPServer] = []

    def start(answer: bytes) -> int:
        handler = type("Handler", (_Answer,), {"answer": answer})
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.stopping = threading.Event()  # type: ignore[attr-defined]
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.stopping.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def test_a_server_that_answers_bytes_that_are_not_http(
    capsys: pytest.CaptureFixture[str], fake_server: Callable[[bytes], int]
) -> None:
    port = fake_server(b"SSH-2.0-OpenSSH_9.6\r\n")
    status, out, err = run(capsys, f"http://127.0.0.1:{port}", "--format", "json")
    assert status == 1
    report = json.loads(out)
    (route,) = report["routes"]  # no /openapi.json to read routes from: "/"
    assert route["route"] == "/"
    errors = {p["error"] for p in route["probes"]}
    (error,) = errors
    assert error.startswith("the server's answer is not HTTP: the input is not an HTTP ")
    assert "'SSH-2.0-OpenSSH_9.6'" in error
    assert len(err.splitlines()) == 3  # GET, HEAD, OPTIONS: one line each


def test_a_server_that_never_answers(
    capsys: pytest.CaptureFixture[str], fake_server: Callable[[bytes], int]
) -> None:
    port = fake_server(b"")
    status, out, err = run(capsys, f"http://127.0.0.1:{port}", "--path", "/x", "--timeout", "0.3")
    assert status == 1
    assert out.splitlines()[-1] == (
        "statusguard: 1 route, 0 responses checked, 1 failed, no violations."
    )
    assert err == (
        f"statusguard check: GET /x (http://127.0.0.1:{port}): the response did not end "
        "within 0.3 s (--timeout)\n"
    )
