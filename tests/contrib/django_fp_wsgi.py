"""The Django project of ``contrib.django_fp_settings`` as a WSGI server loads it.

``application`` is Django's own handler (with ``StatusGuardMiddleware`` inside when
``STATUSGUARD_INTEGRATION=middleware``); ``guarded`` is the same handler wrapped in
``WSGIStatusGuard``, its mode from ``STATUSGUARD_MODE``.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrib.django_fp_settings")

from django.core.wsgi import get_wsgi_application

from statusguard import WSGIStatusGuard

application = get_wsgi_application()
guarded = WSGIStatusGuard(application)
