"""Integrations: each module imports only its own framework."""
