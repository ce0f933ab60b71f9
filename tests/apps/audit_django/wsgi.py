"""The project's WSGI module, as ``django-admin startproject`` writes it: what a server serves
(``gunicorn apps.audit_django.wsgi:application``) and what ``--routes-from`` reads."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.audit_django.settings")

application = get_wsgi_application()
