"""Strict errors say what to change, in the framework's words (issue 13).

The errors come from the real frameworks: Flask's ``abort``, FastAPI's ``HTTPException``,
Django's ``CommonMiddleware`` on a 204 and DRF's ``Response(data, status=204)``, each under the
integration a user installs.
"""

from __future__ import annotations

from typing import NoReturn

import pytest
from django.core.handlers.wsgi import WSGIHandler
from fastapi import FastAPI, HTTPException
from flask import Flask, abort
from starlette.applications import Starlette
from support.drive import call_asgi, call_wsgi

from contrib.django_fp import configure, django_environ, django_project
from statusguard import CATALOGUE, RULES_BY_ID, ASGIStatusGuard, StatusGuardError
from statusguard.advice import ADVICE, FRAMEWORKS, advice, framework_of
from statusguard.contrib.flask import StatusGuard


@pytest.fixture(scope="module", autouse=True)
def _django() -> None:
    configure()


def test_every_rule_has_advice_and_only_rules_have_some() -> None:
    assert sorted(ADVICE) == sorted(rule.id for rule in CATALOGUE)
    for rule_id, entry in ADVICE.items():
        assert entry[""], rule_id
        assert set(entry) <= {"", *FRAMEWORKS}, rule_id


def test_advice_falls_back_from_fastapi_to_starlette_to_generic() -> None:
    assert advice("content-type-missing", "fastapi") == ADVICE["content-type-missing"]["starlette"]
    assert advice("head-content", "flask") == ADVICE["head-content"][""]
    assert advice("a-rule-of-your-own", "flask") == ""


def test_the_framework_is_told_from_the_application() -> None:
    flask = Flask(__name__)
    assert framework_of(flask) == "flask"
    assert framework_of(flask.wsgi_app) == "flask"  # what contrib.flask wraps
    assert framework_of(WSGIHandler()) == "django"
    assert framework_of(FastAPI()) == "fastapi"
    assert framework_of(Starlette()) == "starlette"
    assert framework_of(lambda environ, start_response: []) == ""


def flask_401() -> Flask:
    app = Flask(__name__)

    @app.get("/account")
    def account() -> NoReturn:
        abort(401)

    StatusGuard(app, mode="strict")
    return app


def test_flask_abort_401_says_how_to_send_a_challenge() -> None:
    with pytest.raises(StatusGuardError) as caught:
        call_wsgi(flask_401(), "/account")
    text = str(caught.value)
    assert "[www-authenticate-missing]" in text
    quote = RULES_BY_ID["www-authenticate-missing"].quote
    assert f'RFC 9110 §15.5.2: "{quote}"' in text
    assert "What to change: abort(401, www_authenticate=" in text
    assert caught.value.framework == "flask"


FASTAPI = FastAPI()


@FASTAPI.get("/me")
def _me() -> None:
    raise HTTPException(status_code=401, detail="Not authenticated")


def test_fastapi_http_exception_401_says_which_headers_to_pass() -> None:
    with pytest.raises(StatusGuardError) as caught:
        call_asgi(ASGIStatusGuard(FASTAPI, mode="strict"), "/me")
    assert "What to change: raise HTTPException(401, headers={'WWW-Authenticate'" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("path", "rule", "words"),
    [
        ("/no-content", "content-length-forbidden", "CommonMiddleware adds Content-Length: 0"),
        ("/drf-deleted", "content-forbidden", "Response(status=204), without data"),
    ],
)
def test_django_strict_errors_speak_django(path: str, rule: str, words: str) -> None:
    with django_project("wsgi", "strict") as (app, _), pytest.raises(StatusGuardError) as caught:
        call_wsgi(app, environ=django_environ("GET", path))
    assert rule in caught.value.rule_ids
    assert words in str(caught.value)
