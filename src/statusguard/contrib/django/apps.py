"""The Django app: adding ``"statusguard.contrib.django"`` to INSTALLED_APPS registers the
system checks of the ``STATUSGUARD`` setting."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

from .checks import TAG, check_middleware, check_settings


class StatusGuardConfig(AppConfig):
    name = "statusguard.contrib.django"
    label = "statusguard"
    verbose_name = "statusguard"

    def ready(self) -> None:
        checks.register(check_settings, TAG)
        checks.register(check_middleware, TAG)
