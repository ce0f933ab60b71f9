"""The Django project of the issue 13 tests, in process: ``contrib.django_fp_urls`` behind
Django's own WSGI handler, with statusguard installed one way or the other.

Used by ``contrib/test_false_positives.py`` and ``wire/test_strict_wire.py`` (Django's runserver
server class in a thread); the servers in subprocesses load ``contrib.django_fp_wsgi``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory, override_settings

from contrib import django_fp_settings
from statusguard import Violation, WSGIStatusGuard

GUARD = django_fp_settings.GUARD
COMMON = django_fp_settings.COMMON
LOGGER = "statusguard.tests.false_positives"
GUNICORN = "gunicorn/27.0.1"  # drops the content of a HEAD response itself (docs/servers.md)


class Recorder:
    """``on_violation``: every violation of one app."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def __call__(self, violation: Violation) -> None:
        self.violations.append(violation)

    @property
    def ids(self) -> set[str]:
        return {v.rule_id for v in self.violations}


def configure() -> None:
    """Configure Django unless something else did (``django_project`` adapts it)."""
    if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        names = [name for name in dir(django_fp_settings) if name.isupper()]
        settings.configure(**{name: getattr(django_fp_settings, name) for name in names})
    django.setup()


@contextlib.contextmanager
def django_project(integration: str, mode: str) -> Iterator[tuple[Any, Recorder]]:
    """Django's WSGI handler for ``contrib.django_fp_urls``, with statusguard installed as
    ``StatusGuardMiddleware`` first in MIDDLEWARE (``"middleware"``) or as
    ``WSGIStatusGuard(handler)`` (``"wsgi"``), in ``mode``, reporting to a :class:`Recorder`
    and to the logger ``LOGGER``."""
    recorder = Recorder()
    middleware = [GUARD, COMMON] if integration == "middleware" else [COMMON]
    with override_settings(
        ROOT_URLCONF="contrib.django_fp_urls",
        MIDDLEWARE=middleware,
        STATUSGUARD={"mode": mode, "on_violation": recorder, "logger": LOGGER},
        REST_FRAMEWORK=django_fp_settings.REST_FRAMEWORK,
        ALLOWED_HOSTS=["testserver", "127.0.0.1"],
        DEBUG=False,
    ):
        handler = WSGIHandler()
        if integration == "middleware":
            yield handler, recorder
        else:
            yield (
                WSGIStatusGuard(handler, mode=mode, on_violation=recorder, logger=LOGGER),
                recorder,
            )


def django_environ(
    method: str, path: str, query: str = "", server: str = GUNICORN
) -> dict[str, Any]:
    """The environ of ``method path?query`` as Django's RequestFactory makes it, under the
    server named by ``server`` (``SERVER_SOFTWARE``)."""
    environ: dict[str, Any] = RequestFactory().generic(method, path).environ
    environ["QUERY_STRING"] = query
    environ["SERVER_SOFTWARE"] = server
    return environ
