"""System checks for the ``STATUSGUARD`` setting and the middleware's position.

Stable ids: ``statusguard.E001`` a key has an invalid value (the message names the key),
``E002`` an unknown key, ``E003`` the setting is not a dict, ``E004`` no ``mode`` and an invalid
``STATUSGUARD_MODE`` environment variable; ``statusguard.W001`` the middleware is not first in
``MIDDLEWARE``.  Run them alone with ``manage.py check --tag statusguard``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from .conf import read_setting, setting_problems

__all__ = ["MIDDLEWARE_PATHS", "TAG", "check_middleware", "check_settings"]

TAG = "statusguard"
MIDDLEWARE_PATHS = frozenset(
    {
        "statusguard.contrib.django.StatusGuardMiddleware",
        "statusguard.contrib.django.middleware.StatusGuardMiddleware",
    }
)


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """One error per problem of the ``STATUSGUARD`` setting."""
    return [
        Error(problem.message, hint=problem.hint, id=problem.id)
        for problem in setting_problems(read_setting())
    ]


def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A warning when the middleware is installed but another one wraps it."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    positions = [i for i, path in enumerate(middleware) if path in MIDDLEWARE_PATHS]
    if not positions or positions[0] == 0:
        return []
    return [
        Warning(
            f"StatusGuardMiddleware is at position {positions[0] + 1} in MIDDLEWARE, after "
            f"{middleware[0]!r}; it does not see what the middleware before it change.",
            hint=(
                "Put 'statusguard.contrib.django.StatusGuardMiddleware' first in MIDDLEWARE "
                "so it checks the final response (CommonMiddleware, for one, adds "
                "Content-Length to every non-streaming response, 204 included)."
            ),
            id="statusguard.W001",
        )
    ]
