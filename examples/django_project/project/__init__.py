"""A small Django project showing statusguard's three modes (see ``settings``)."""
