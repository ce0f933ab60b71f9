"""The project's examples in strict mode, under the development servers users run them with.

``flask run``, ``manage.py runserver`` (with its autoreloader) and ``uvicorn --reload``, each
started as its documentation says, with ``STATUSGUARD_MODE=strict``, on 127.0.0.1 port 0 (the
port is read from the listening socket).  Every route of each example is asked for; only the
routes that are broken on purpose answer 500 — a strict mode a team can leave on.  A stream
found too long after its head went out is ended cleanly and logged at ERROR, never a 500.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import servers, wire

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STRICT = {"STATUSGUARD_MODE": "strict"}

# (method, path, status on the wire)
FLASK = [
    ("GET", "/", 200),
    ("HEAD", "/", 200),
    ("GET", "/reset", 500),  # content-forbidden: a 205 with a body
    ("GET", "/private", 500),  # www-authenticate-missing
    ("GET", "/dated", 200),  # the dev server's second Date: a compatibility step
    ("GET", "/methods", 500),  # allow-missing
    ("GET", "/stream", 200),  # too long: ended at its Content-Length, logged
    ("GET", "/stats", 200),
]
DJANGO = [
    ("GET", "/", 200),
    ("HEAD", "/plain", 200),
    ("GET", "/plain", 200),
    ("GET", "/no-content", 500),  # content-forbidden, content-length-forbidden
    ("GET", "/bad-date", 500),  # date-invalid
    ("GET", "/app-date", 200),  # runserver adds Date only when absent
    ("GET", "/control-character", 500),  # field-value-invalid
    ("GET", "/stream-too-long", 200),  # too long: ended at its Content-Length, logged
    ("GET", "/download", 200),
    ("HEAD", "/download", 200),
    ("GET", "/unauthorized", 500),  # www-authenticate-missing
    ("GET", "/violations", 200),
]
FASTAPI = [
    ("DELETE", "/items/1", 204),  # FastAPI empties a serialized 204 itself
    ("POST", "/items/1/archive", 500),  # content-forbidden
    ("PUT", "/items/1/reset", 500),  # content-forbidden (a 205's stale Content-Length)
    ("GET", "/me", 500),  # www-authenticate-missing
    ("GET", "/plain", 200),
    ("HEAD", "/plain", 200),  # declared beside GET
]


@pytest.fixture(scope="module")
def flask_run() -> Iterator[servers.Server]:
    argv = [sys.executable, "-m", "flask", "--app", "flask_app", "run", "--port", "0"]
    with servers.serve_command("flask run", argv, cwd=EXAMPLES, env=STRICT) as server:
        yield server


@pytest.fixture(scope="module")
def runserver() -> Iterator[servers.Server]:
    argv = [sys.executable, "manage.py", "runserver", "127.0.0.1:0"]
    env = {**STRICT, "DJANGO_DEBUG": "1"}
    cwd = EXAMPLES / "django_project"
    with servers.serve_command("runserver", argv, cwd=cwd, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def uvicorn_reload() -> Iterator[servers.Server]:
    argv = [sys.executable, "-m", "uvicorn", "fastapi_app:app", "--reload", "--port", "0"]
    with servers.serve_command("uvicorn --reload", argv, cwd=EXAMPLES, env=STRICT) as server:
        yield server


def _check(server: servers.Server, routes: list[tuple[str, str, int]]) -> None:
    for method, path, status in routes:
        ex = wire.exchange(server, method, path, pipeline=None, timeout=10.0)
        assert ex.first is not None, ex.describe()
        assert ex.first.status == status, (method, path, ex.describe(), server.logs())
        wire.assert_wire_clean(ex, expected_status=status, no_content=method == "HEAD")


def test_flask_example_under_flask_run(flask_run: servers.Server) -> None:
    _check(flask_run, FLASK)
    assert flask_run.wait_for_log("[content-length-mismatch]")


def test_django_example_under_runserver(runserver: servers.Server) -> None:
    _check(runserver, DJANGO)
    assert runserver.wait_for_log("[content-length-mismatch]")


def test_fastapi_example_under_uvicorn_reload(uvicorn_reload: servers.Server) -> None:
    _check(uvicorn_reload, FASTAPI)
    assert uvicorn_reload.wait_for_log("[www-authenticate-missing]")
