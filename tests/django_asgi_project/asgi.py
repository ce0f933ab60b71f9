"""Django's ASGI handler, bare and behind ASGIStatusGuard in fix mode.

Django's handler refuses ``lifespan`` scopes (it raises ``ValueError``); the outer
:func:`~apps.lifespan.acknowledge_lifespan` answers them for the test servers' ``--lifespan on``,
so that the HTTP path is exactly Django's.
"""

from __future__ import annotations

import os

from apps.lifespan import acknowledge_lifespan
from django.core.asgi import get_asgi_application

from statusguard.asgi import ASGIStatusGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_asgi_project.settings")

django_application = get_asgi_application()
bare = acknowledge_lifespan(django_application)
application = acknowledge_lifespan(ASGIStatusGuard(django_application, mode="fix"))
