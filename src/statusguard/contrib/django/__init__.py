"""statusguard for Django: ``StatusGuardMiddleware`` and the ``STATUSGUARD`` setting.

::

    INSTALLED_APPS = [..., "statusguard.contrib.django"]  # the system checks (optional)
    MIDDLEWARE = ["statusguard.contrib.django.StatusGuardMiddleware", ...]  # first: outermost
    STATUSGUARD = {"mode": "fix", "rules": {"date-missing": "off"}}

The setting takes the keyword options of ``WSGIStatusGuard`` as keys; without ``mode`` the
``STATUSGUARD_MODE`` environment variable decides (default ``"warn"``).
"""

from __future__ import annotations

from ...exemptions import exempt
from .middleware import StatusGuardMiddleware

# Django's spelling, as csrf_exempt: ``path("health", statusguard_exempt(health))``.
statusguard_exempt = exempt

__all__ = ["StatusGuardMiddleware", "exempt", "statusguard_exempt"]
