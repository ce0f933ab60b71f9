"""The wrapping itself, in this process: what counts as guarded, what is patched and put back.

The suites in ``test_pytest_plugin_wrap.py`` show the behaviour end to end; these tests pin the
parts a suite cannot see: an application's own guard found wherever frameworks keep it, every
patch undone, one wrapper per application, non-HTTP scopes untouched, and a client whose
internals differ left alone instead of breaking its import.
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

import pytest
from fastapi import FastAPI
from flask import Flask
from starlette.applications import Starlette
from starlette.middleware import Middleware

from statusguard import ASGIStatusGuard, WSGIStatusGuard
from statusguard._pytest_wrap import ASGIWrapper, Wrapping, WSGIWrapper, is_guarded
from statusguard.contrib.flask import StatusGuard


def _flask() -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/", "home", lambda: "home")
    return app


def test_is_guarded_finds_the_guards_applications_install_themselves() -> None:
    plain = _flask()
    assert not is_guarded(plain)
    on_wsgi_app = _flask()
    on_wsgi_app.wsgi_app = WSGIStatusGuard(on_wsgi_app.wsgi_app)  # type: ignore[method-assign]
    assert is_guarded(on_wsgi_app)
    extension = _flask()
    StatusGuard(extension)
    assert is_guarded(extension)

    fastapi = FastAPI()
    assert not is_guarded(fastapi)
    fastapi.add_middleware(ASGIStatusGuard, mode="warn")
    assert is_guarded(fastapi)
    assert is_guarded(Starlette(middleware=[Middleware(ASGIStatusGuard)]))
    assert not is_guarded(Starlette())

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        pass

    assert is_guarded(ASGIStatusGuard(bare))
    assert is_guarded(ASGIWrapper(bare, None))  # a wrapper of the plugin's own

    class Marked:
        _statusguard_guarded = True

    assert is_guarded(Marked())


def test_is_guarded_runs_no_property() -> None:
    class Lazy:
        @property
        def app(self) -> object:
            raise AssertionError("a property was evaluated")

    assert not is_guarded(Lazy())


def test_one_wrapper_per_application_and_none_around_a_wrapper() -> None:
    wrapping = Wrapping("strict")
    app = _flask()
    wrapper = wrapping.wrap_wsgi(app)
    assert isinstance(wrapper, WSGIWrapper)
    assert wrapping.wrap_wsgi(app) is wrapper
    assert wrapping.wrap_wsgi(wrapper) is wrapper
    # A bound method is a new object each time: it is remembered by its instance and function.
    assert wrapping.wrap_wsgi(app.wsgi_app) is wrapping.wrap_wsgi(app.wsgi_app)
    assert wrapper.guarded
    guarded = _flask()
    guarded.wsgi_app = WSGIStatusGuard(guarded.wsgi_app)  # type: ignore[method-assign]
    assert not wrapping.wrap_wsgi(guarded).guarded  # bookkeeping only: no second guard


@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
def test_non_http_scopes_go_straight_to_the_application(scope_type: str) -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        pass

    scope = {"type": scope_type}
    coroutine = ASGIWrapper(app, "strict")(scope, receive, send)
    with pytest.raises(StopIteration):
        coroutine.send(None)
    assert seen == [(scope, receive, send)]  # the very objects: nothing in between


def _patched_attributes() -> dict[str, object]:
    import asgiref.testing
    import django.test.client
    import httpx
    import werkzeug.test

    with warnings.catch_warnings():
        # Starlette 1.10 asks for the httpx2 fork and warns at import when it finds httpx 0.28.
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        import starlette.testclient

    return {
        "werkzeug.test.run_wsgi_app": werkzeug.test.run_wsgi_app,
        "werkzeug.test.Client.run_wsgi_app": werkzeug.test.Client.__dict__["run_wsgi_app"],
        "django ClientHandler": django.test.client.ClientHandler.__dict__.get("load_middleware"),
        "django AsyncClientHandler": django.test.client.AsyncClientHandler.__dict__.get(
            "load_middleware"
        ),
        "starlette": starlette.testclient._TestClientTransport.__dict__["__init__"],
        "httpx asgi": httpx.ASGITransport.__dict__["__init__"],
        "httpx wsgi": httpx.WSGITransport.__dict__["__init__"],
        "asgiref": asgiref.testing.ApplicationCommunicator.__dict__["__init__"],
    }


def test_install_patches_every_client_and_uninstall_puts_everything_back() -> None:
    before = _patched_attributes()
    meta_path = list(sys.meta_path)
    wrapping = Wrapping("strict")
    wrapping.install()
    try:
        during = _patched_attributes()
        assert all(during[name] is not before[name] for name in before), during
        assert sorted(wrapping.patched) == [
            "asgiref.testing",
            "django.test.client",
            "httpx._transports.asgi",
            "httpx._transports.wsgi",
            "starlette.testclient",
            "werkzeug.test",
        ]
    finally:
        wrapping.uninstall()
    assert _patched_attributes() == before
    assert sys.meta_path == meta_path


def test_a_client_module_imported_later_is_patched_on_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asgiref.testing

    old = asgiref.testing
    original = old.ApplicationCommunicator.__init__
    monkeypatch.delitem(sys.modules, "asgiref.testing")
    monkeypatch.setattr(asgiref, "testing", old)  # put back on the package after the test
    wrapping = Wrapping("strict")
    wrapping.install()
    try:
        assert "asgiref.testing" not in wrapping.patched
        import asgiref.testing as reimported

        assert reimported is not old
        assert "asgiref.testing" in wrapping.patched
        init = reimported.ApplicationCommunicator.__init__
        assert init is not original
        assert init.__wrapped__ is not original  # type: ignore[attr-defined]  # the new module's
        assert reimported.__loader__.get_source("asgiref.testing")  # type: ignore[union-attr]
    finally:
        wrapping.uninstall()
    assert "__init__" in reimported.ApplicationCommunicator.__dict__
    assert reimported.ApplicationCommunicator.__init__ is init.__wrapped__  # type: ignore[attr-defined]


def test_a_client_whose_internals_differ_is_left_unwrapped() -> None:
    wrapping = Wrapping("strict")
    other_version = types.ModuleType("starlette.testclient")  # no _TestClientTransport
    wrapping._apply("starlette.testclient", wrapping._patch_starlette, other_version)
    assert wrapping.patched == []
    assert wrapping.failed == [
        "starlette.testclient (AttributeError: module "
        "'starlette.testclient' has no attribute '_TestClientTransport')"
    ]
