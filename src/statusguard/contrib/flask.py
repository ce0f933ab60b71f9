"""Flask integration: the WSGI guard around ``app.wsgi_app``, configured from ``app.config``.

The only module of statusguard that imports Flask.  Settings are read once, in ``init_app``;
a bad one raises :class:`~statusguard.ConfigurationError` there, naming the key, never while
serving.  The guard sits outside Flask's own error handling, so in strict mode the test client
sees the :class:`~statusguard.StatusGuardError` itself and a server answers 500.

::

    app.config["STATUSGUARD"] = {"mode": "fix", "rules": {"date-invalid": "off"}}
    StatusGuard(app)                     # or: guard = StatusGuard(); guard.init_app(app)
    app.extensions["statusguard"].stats()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, request

from .. import exemptions as _exempt
from ..errors import ConfigurationError
from ..exemptions import exempt
from ..wsgi import WSGIStatusGuard

if TYPE_CHECKING:
    from ..report import Stats

__all__ = ["CONFIG_KEY", "OPTIONS", "StatusGuard", "exempt"]

CONFIG_KEY = "STATUSGUARD"
EXTENSION = "statusguard"
# The keyword options of WSGIStatusGuard (and ASGIStatusGuard): the keys STATUSGUARD may hold.
OPTIONS = (
    "mode",
    "rules",
    "on_violation",
    "server_date",
    "log_interval",
    "logger",
    "extra_rules",
    "request_id_header",
    "server",
    "exclude_paths",
)


class StatusGuard:
    """Install :class:`~statusguard.wsgi.WSGIStatusGuard` on a Flask app.

    Keyword ``options`` are the guard's own (``mode``, ``rules``, ``on_violation``...) and
    override the same keys of ``app.config["STATUSGUARD"]``.  One ``StatusGuard`` may be
    initialised on several apps (the application-factory pattern); each app gets its own
    guard, in ``app.extensions["statusguard"]``.
    """

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        _check_keys(options, "StatusGuard()")
        self.options: dict[str, Any] = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if EXTENSION in app.extensions:
            raise ConfigurationError(f"statusguard is already installed on the app {app.name!r}")
        settings = app.config.get(CONFIG_KEY) or {}
        if not isinstance(settings, Mapping):
            raise ConfigurationError(
                f"app.config[{CONFIG_KEY!r}] must be a dict of the guard's options "
                f"({', '.join(OPTIONS)}), not {type(settings).__name__}"
            )
        _check_keys(settings, f"app.config[{CONFIG_KEY!r}]")
        options = {**settings, **self.options}
        try:
            guard = WSGIStatusGuard(app.wsgi_app, **options)
        except ConfigurationError as exc:
            source = _source(exc, settings, self.options)
            raise ConfigurationError(f"{source}: {exc}") from exc
        except TypeError as exc:  # a value of the wrong type the engine did not name
            raise ConfigurationError(f"app.config[{CONFIG_KEY!r}]: {exc}") from exc
        # Wrap wsgi_app, not the app: Flask's middleware convention, and app.test_client()
        # then goes through the guard too.
        app.wsgi_app = guard  # type: ignore[method-assign]
        app.extensions[EXTENSION] = guard

        def mark_exempt_view() -> None:
            # Routed by now: an exempt() view's response goes to the server untouched.
            if _exempt.used and _exempt.is_exempt(app.view_functions.get(request.endpoint or "")):
                request.environ[_exempt.ENVIRON_KEY] = True

        app.before_request(mark_exempt_view)

    @staticmethod
    def guard(app: Flask) -> WSGIStatusGuard:
        """The guard installed on ``app``."""
        guard: WSGIStatusGuard = app.extensions[EXTENSION]
        return guard

    @classmethod
    def stats(cls, app: Flask) -> Stats:
        """The exact violation counters of the guard installed on ``app``."""
        return cls.guard(app).stats()


def _check_keys(options: Mapping[Any, Any], where: str) -> None:
    for key in options:
        if key not in OPTIONS:
            raise ConfigurationError(
                f"{where}: unknown setting {key!r}; the settings are {', '.join(OPTIONS)}"
            )


def _source(
    exc: ConfigurationError, settings: Mapping[str, Any], options: Mapping[str, Any]
) -> str:
    """Where the bad value came from: the keyword argument or the app config entry."""
    message = str(exc)
    for key in OPTIONS:
        if message.startswith(key):
            if key in options:
                return f"StatusGuard({key}=...)"
            if key in settings:
                return f"app.config[{CONFIG_KEY!r}][{key!r}]"
    if message.startswith("STATUSGUARD_MODE"):
        return "the environment"
    return f"app.config[{CONFIG_KEY!r}]"
