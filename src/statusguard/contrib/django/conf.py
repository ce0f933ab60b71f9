"""The ``STATUSGUARD`` setting: one dict with the keyword options of the middlewares.

Read lazily (the middleware rebuilds its engines when ``override_settings`` changes it) and
validated key by key, so that the system check can name every bad key at once.  ``on_violation``
and the entries of ``extra_rules`` may be dotted import paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ...engine import Config
from ...errors import ConfigurationError

__all__ = [
    "OPTION_KEYS",
    "SETTING",
    "SettingProblem",
    "build_config",
    "read_setting",
    "setting_problems",
]

SETTING = "STATUSGUARD"
# The keyword options of WSGIStatusGuard / ASGIStatusGuard, in the order they are validated
# (extra_rules before rules: the rule overrides may name the extra rules).
OPTION_KEYS = (
    "mode",
    "extra_rules",
    "rules",
    "on_violation",
    "server_date",
    "log_interval",
    "logger",
    "request_id_header",
    "server",
    "exclude_paths",
)


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One thing wrong with the setting; ``id`` is the stable system-check id."""

    id: str
    key: str
    message: str
    hint: str


def read_setting() -> object:
    """The raw ``STATUSGUARD`` value, or ``None`` when the project does not set it."""
    return getattr(settings, SETTING, None)


def _import(key: str, path: str) -> object:
    try:
        return import_string(path)
    except ImportError as exc:
        raise ConfigurationError(f"{key}: cannot import {path!r} ({exc})") from exc


def _resolve(key: str, value: object) -> object:
    """Dotted paths → objects, for the two options that take code."""
    if key == "on_violation" and isinstance(value, str):
        return _import(key, value)
    if key == "extra_rules" and isinstance(value, (list, tuple)):
        return tuple(_import(key, item) if isinstance(item, str) else item for item in value)
    return value


def _problem(key: str, error: ConfigurationError) -> SettingProblem:
    return SettingProblem(
        "statusguard.E001",
        key,
        f"{SETTING}[{key!r}] is invalid: {str(error).rstrip('.')}.",
        f"Fix the {key!r} entry of {SETTING}; it takes the same values as the {key}= keyword "
        "option of WSGIStatusGuard and ASGIStatusGuard.",
    )


def _options(setting: object) -> tuple[dict[str, Any], list[SettingProblem]]:
    """The options a valid setting gives, and what is wrong with the rest."""
    if setting is None:
        return {}, []
    if not isinstance(setting, Mapping):
        return {}, [
            SettingProblem(
                "statusguard.E003",
                "",
                f"{SETTING} must be a dict of options, not {type(setting).__name__}.",
                f'For example {SETTING} = {{"mode": "fix"}}.',
            )
        ]
    problems: list[SettingProblem] = []
    given: dict[str, object] = {}
    for key, value in setting.items():
        if key in OPTION_KEYS:
            given[key] = value
        else:
            problems.append(
                SettingProblem(
                    "statusguard.E002",
                    str(key),
                    f"{SETTING} has an unknown key {key!r}.",
                    f"The keys are: {', '.join(sorted(OPTION_KEYS))}.",
                )
            )
    options: dict[str, Any] = {}
    for key in OPTION_KEYS:
        if key not in given:
            continue
        single: dict[str, Any] = {"mode": "warn"}  # never consult STATUSGUARD_MODE here
        try:
            single[key] = _resolve(key, given[key])
            if key == "rules" and "extra_rules" in options:
                single["extra_rules"] = options["extra_rules"]
            Config.from_options(**single)
        except ConfigurationError as exc:
            problems.append(_problem(key, exc))
        else:
            options[key] = single[key]
    return options, problems


def setting_problems(setting: object) -> list[SettingProblem]:
    """Everything wrong with ``setting`` (the value of ``STATUSGUARD``); empty when valid."""
    options, problems = _options(setting)
    if not problems and "mode" not in options:
        # No mode in the setting: the STATUSGUARD_MODE environment variable decides.
        try:
            Config.from_options(**options)
        except ConfigurationError as exc:
            problems.append(
                SettingProblem(
                    "statusguard.E004",
                    "mode",
                    f"{exc}; {SETTING} has no 'mode', so the environment decides.",
                    f"Set STATUSGUARD_MODE to strict, warn or fix, or set {SETTING}['mode'].",
                )
            )
    return problems


def build_config(setting: object) -> Config:
    """The validated configuration; ``ImproperlyConfigured`` names every bad key."""
    options, problems = _options(setting)
    if problems:
        raise ImproperlyConfigured("\n".join(p.message for p in problems))
    try:
        return Config.from_options(**options)
    except ConfigurationError as exc:  # STATUSGUARD_MODE in the environment
        raise ImproperlyConfigured(str(exc)) from exc
