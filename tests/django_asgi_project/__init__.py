"""A minimal Django project served through its ASGI handler, wrapped in ASGIStatusGuard.

Only ever loaded inside a server subprocess (``asgi:application`` / ``asgi:bare``): the test
process itself never configures Django, so other test modules can.
"""
