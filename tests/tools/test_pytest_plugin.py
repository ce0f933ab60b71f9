"""The pytest plugin, run by pytester against a real Flask app, FastAPI app and Django project.

Each project installs the guard in warn mode, the way an app would in staging.  Its suite passes
as it is, and with ``--statusguard=strict`` it fails exactly on the tests whose responses break
a rule, whether the guard's exception reaches the test (Flask's and Starlette's test clients) or
the framework or server turns it into a 500 first.  The plugin's wrapping of the test clients
(on by default) finds the apps' own guards and adds none: each violation is reported once.
Suites that install no guard at all are in ``test_pytest_plugin_wrap.py``.  The runs are
subprocesses: Django's settings and the process-wide override must not leak into this session.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from xml.etree import ElementTree

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -rA -p no:cacheprovider -p no:randomly
filterwarnings =
    error
    ignore::statusguard.StatusGuardWarning
    ignore:Using `httpx` with `starlette.testclient` is deprecated
"""

FLASK_APP = """
from flask import Flask, abort

from statusguard import WSGIStatusGuard

app = Flask(__name__)
app.wsgi_app = WSGIStatusGuard(app.wsgi_app, mode="warn")


@app.get("/ok")
def ok():
    return "ok"


@app.get("/private")
def private():
    abort(401)  # werkzeug's Unauthorized has no WWW-Authenticate challenge


@app.post("/items")
def create():
    return "created", 201  # no Location: an info rule, which never fails a test
"""

FLASK_TESTS = """
import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from flask_app import app


def test_ok():
    assert app.test_client().get("/ok").status_code == 200


def test_private():
    assert app.test_client().get("/private").status_code == 401


def test_created():
    assert app.test_client().post("/items").status_code == 201


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_private_behind_a_live_server():
    # A live server (the way browser tests run) answers 500 when the guard raises: the test
    # below cannot tell, the plugin can.
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    server.handle_error = lambda request, address: None
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/private", timeout=10)
        assert error.value.code >= 400
        error.value.close()
    finally:
        thread.join(10)
        server.server_close()
"""

FASTAPI_APP = """
from fastapi import FastAPI, HTTPException, Response

from statusguard import ASGIStatusGuard

app = FastAPI()
app.add_middleware(ASGIStatusGuard, mode="warn")


@app.get("/ok")
def ok():
    return {"ok": True}


@app.get("/private")
def private():
    raise HTTPException(status_code=401)  # no WWW-Authenticate challenge


@app.delete("/items/1", status_code=204)
def delete():
    return Response(b"deleted", status_code=204)  # a 204 with content
"""

FASTAPI_TESTS = """
from fastapi.testclient import TestClient

from fastapi_app import app


def test_ok():
    with TestClient(app) as client:
        assert client.get("/ok").status_code == 200


def test_private():
    with TestClient(app) as client:
        assert client.get("/private").status_code == 401


def test_delete_swallowed():
    # raise_server_exceptions=False: the client gets the 500 a server would send.
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.delete("/items/1").status_code in (204, 500)
"""

DJANGO_SETTINGS = """
SECRET_KEY = "pytester"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = ["statusguard.contrib.django"]
MIDDLEWARE = ["statusguard.contrib.django.StatusGuardMiddleware"]
STATUSGUARD = {"mode": "warn"}
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
"""

DJANGO_URLS = """
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import path


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


def not_allowed(request):
    response = HttpResponse("use POST", status=405)  # no Allow: allow-missing
    return response


def allowed(request):
    return HttpResponseNotAllowed(["POST"])  # Django's own 405 carries Allow


urlpatterns = [path("ok", ok), path("not-allowed", not_allowed), path("allowed", allowed)]
"""

DJANGO_CONFTEST = """
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup()
"""

DJANGO_TESTS = """
from django.test import Client


def test_ok():
    assert Client().get("/ok").status_code == 200


def test_allowed():
    assert Client().get("/allowed").status_code == 405


def test_not_allowed():
    assert Client().get("/not-allowed").status_code == 405


def test_not_allowed_swallowed():
    # raise_request_exception=False: Django's handler turns the exception into a 500.
    assert Client(raise_request_exception=False).get("/not-allowed").status_code >= 400
"""

SHARED_TESTS = """
import pytest

from flask_app import app


def test_fixture_collects_the_violations_of_this_test(statusguard_violations):
    app.test_client().get("/ok")
    assert statusguard_violations == []
    app.test_client().post("/items")
    assert [v.rule_id for v in statusguard_violations] == ["created-location-missing"]


@pytest.mark.statusguard_ignore("www-authenticate-missing")
def test_marker_ignores_the_rule_for_this_test(statusguard_violations):
    assert app.test_client().get("/private").status_code == 401
    assert statusguard_violations == []


def test_marker_is_undone_after_its_test(statusguard_violations):
    app.test_client().get("/private")
    assert [v.rule_id for v in statusguard_violations] == ["www-authenticate-missing"]
"""

# nodeid → (rule, method, path): the tests whose responses break an error or warning rule.
# (The Django middleware labels a request by its route pattern, which has no leading slash.)
VIOLATING = {
    "test_flask.py::test_private": ("www-authenticate-missing", "GET", "private"),
    "test_flask.py::test_private_behind_a_live_server": (
        "www-authenticate-missing",
        "GET",
        "private",
    ),
    "test_fastapi.py::test_private": ("www-authenticate-missing", "GET", "private"),
    "test_fastapi.py::test_delete_swallowed": ("content-forbidden", "DELETE", "items/1"),
    "test_django.py::test_not_allowed": ("allow-missing", "GET", "not-allowed"),
    "test_django.py::test_not_allowed_swallowed": ("allow-missing", "GET", "not-allowed"),
    "test_shared.py::test_marker_is_undone_after_its_test": (
        "www-authenticate-missing",
        "GET",
        "private",
    ),
}
CLEAN = (
    "test_flask.py::test_ok",
    "test_flask.py::test_created",
    "test_fastapi.py::test_ok",
    "test_django.py::test_ok",
    "test_django.py::test_allowed",
    "test_shared.py::test_fixture_collects_the_violations_of_this_test",
    "test_shared.py::test_marker_ignores_the_rule_for_this_test",
)
REFERENCES = {
    "www-authenticate-missing": "RFC 9110 §15.5.2",
    "allow-missing": "RFC 9110 §15.5.6",
    "content-forbidden": "RFC 9110 §15.3.5",
}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a Flask app, a FastAPI app and a Django site, each guarded in warn mode."""
    pytester.makeini(INI)
    files = {
        "flask_app.py": FLASK_APP,
        "test_flask.py": FLASK_TESTS,
        "fastapi_app.py": FASTAPI_APP,
        "test_fastapi.py": FASTAPI_TESTS,
        "mysite/__init__.py": "",
        "mysite/settings.py": DJANGO_SETTINGS,
        "mysite/urls.py": DJANGO_URLS,
        "conftest.py": DJANGO_CONFTEST,
        "test_django.py": DJANGO_TESTS,
        "test_shared.py": SHARED_TESTS,
    }
    for name, source in files.items():
        path = pytester.path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return pytester


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """nodeid → PASSED/FAILED/ERROR, from the -rA short summary."""
    found: dict[str, str] = {}
    for line in result.outlines:
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and "::" in rest:
            found.setdefault(rest.split(" - ")[0].strip(), word)
    return found


def test_suite_passes_without_the_option(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess()
    assert outcomes(result) == dict.fromkeys([*VIOLATING, *CLEAN], "PASSED"), result.stdout.str()
    assert result.ret == pytest.ExitCode.OK


def failure_texts(project: pytest.Pytester) -> dict[str, str]:
    """nodeid → the failure text of each failed test, from the JUnit XML report."""
    texts = {}
    for case in ElementTree.parse(project.path / "report.xml").iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            nodeid = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
            texts[nodeid] = f"{failure.get('message', '')}\n{failure.text or ''}"
    return texts


def test_strict_fails_exactly_the_violating_tests(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "--statusguard=strict", "--junitxml=report.xml", "--statusguard-report=report.json"
    )
    expected = {
        **dict.fromkeys(CLEAN, "PASSED"),
        **dict.fromkeys(VIOLATING, "FAILED"),
    }
    assert outcomes(result) == expected, result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "statusguard: every guard forced to strict mode" in result.stdout.str()
    texts = failure_texts(project)
    assert texts.keys() == VIOLATING.keys()
    for nodeid, (rule_id, method, path) in VIOLATING.items():
        # Each failure names the rule, the RFC section and the request, whether the guard's
        # exception reached the test or a framework or server turned it into a 500.
        text = texts[nodeid]
        assert f"[{rule_id}]" in text, nodeid
        assert REFERENCES[rule_id] in text, nodeid
        assert re.search(rf"{method} /?{re.escape(path)}\b", text), nodeid
    # These apps guard themselves: the plugin's wrapping (on by default) adds no second guard,
    # so each violating response is reported once.
    report = json.loads((project.path / "report.json").read_text(encoding="utf-8"))
    for nodeid, (rule_id, _, _) in VIOLATING.items():
        assert [v["rule"] for v in report["tests"][nodeid]] == [rule_id], nodeid


def test_ini_key_and_option_override(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "statusguard_mode = strict\n")
    pytester.makepyfile(flask_app=FLASK_APP, test_flask=FLASK_TESTS)
    strict = pytester.runpytest_subprocess("-k", "not live_server")
    strict.assert_outcomes(passed=2, failed=1)
    assert "[www-authenticate-missing]" in strict.stdout.str()
    off = pytester.runpytest_subprocess("-k", "not live_server", "--statusguard=off")
    off.assert_outcomes(passed=3)
    assert "forced to strict" not in off.stdout.str()


def test_ini_ignore_turns_rules_off_for_the_run(pytester: pytest.Pytester) -> None:
    import werkzeug.test

    before = werkzeug.test.run_wsgi_app, werkzeug.test.Client.run_wsgi_app
    pytester.makeini(
        INI + "statusguard_mode = strict\nstatusguard_ignore = www-authenticate-missing\n"
    )
    pytester.makepyfile(
        test_plain="""
        from flask import Flask, abort

        app = Flask(__name__)


        @app.get("/private")
        def private():
            abort(401)


        def test_private():
            assert app.test_client().get("/private").status_code == 401
    """
    )
    # In this process: the session's patches must all be undone when it ends.
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    assert (werkzeug.test.run_wsgi_app, werkzeug.test.Client.run_wsgi_app) == before
    typo = pytester.runpytest_inprocess("-o", "statusguard_ignore=no-such-rule")
    assert typo.ret == pytest.ExitCode.USAGE_ERROR
    typo.stderr.fnmatch_lines(["*statusguard_ignore: *unknown rule id 'no-such-rule'*"])


def test_bad_marker_and_bad_ini_value_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.statusguard_ignore("no-such-rule")
        def test_typo():
            pass
        """
    )
    marker = pytester.runpytest_inprocess()
    marker.assert_outcomes(errors=1)
    marker.stdout.fnmatch_lines(
        ["*statusguard_ignore on *test_typo*unknown rule id 'no-such-rule'*"]
    )
    pytester.makeini(INI + "statusguard_mode = loud\n")
    bad = pytester.runpytest_inprocess()
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(
        ["*statusguard_mode must be one of strict, warn, fix, off, not 'loud'*"]
    )
    pytester.makeini(INI + "statusguard_wrap = maybe\n")
    bad_wrap = pytester.runpytest_inprocess("--statusguard=strict")
    assert bad_wrap.ret == pytest.ExitCode.USAGE_ERROR
    bad_wrap.stderr.fnmatch_lines(["*statusguard_wrap must be one of on, off, not 'maybe'*"])


def test_option_is_documented_and_marker_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    help_text = pytester.runpytest_inprocess("--help")
    help_text.stdout.fnmatch_lines(
        [
            "*--statusguard=MODE*",
            "*--statusguard-wrap=*",
            "*--statusguard-report=PATH*",
            "*statusguard_mode*",
            "*statusguard_wrap*",
        ]
    )
    markers = pytester.runpytest_inprocess("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.statusguard_ignore(*rule_ids)*"])


def test_importing_the_plugin_imports_no_framework() -> None:
    code = (
        "import sys, statusguard.pytest_plugin; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'flask', 'django', 'starlette', 'fastapi', 'werkzeug', 'httpx', 'asgiref'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == "[]\n"
