"""Apps that go wrong, for the bad-input tests of ``statusguard check``."""

from __future__ import annotations

import threading

from flask import Flask

RELEASE = threading.Event()  # the test sets it when it is done, so that /slow returns

app = Flask(__name__)


@app.get("/ok")
def ok() -> str:
    return "ok"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("the database is down")


@app.get("/slow")
def slow() -> str:
    RELEASE.wait(60)
    return "late"


def create_app() -> Flask:
    raise RuntimeError("DATABASE_URL is not set")


def make_nothing() -> None:
    return None
