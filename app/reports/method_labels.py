"""Names for the method settings a round's snapshot and the analysis plan record.

The settings keep their keys (``quantile_method``) in the database, the API and the
exports; the console and the report show them through the ``method_label`` filter, in the
reader's language, and their values through ``method_value``. A key without a label is
shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from app.i18n import N_, current_language, format_decimal, translate

METHOD_LABELS: dict[str, str] = {
    "quantile_method": N_("Quantile method"),
    "cannot_judge_counts": N_("“Cannot judge” counts in the agreement shares"),
    "alternative_rules": N_("Alternative consensus rules"),
    "min_group_size": N_("Smallest group reported (k)"),
    "max_rounds": N_("Rounds at most"),
    "stability_threshold": N_("Stopping: stable below a net change of"),
    "stability_alpha": N_("Significance level of the stability test"),
}


def method_label(key: str) -> str:
    """The setting ``key`` named in the current language; an unknown key as is."""
    message = METHOD_LABELS.get(key)
    return translate(message) if message else key


def method_value(value: object) -> str:
    """A setting's value as people read it: yes/no, a number in the current language's
    form, the rules of a mapping one after the other; anything else as it is."""
    if isinstance(value, bool):
        return translate(N_("yes") if value else N_("no"))
    if isinstance(value, int | float):
        return format_decimal(value, current_language(), 4, trim=True)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or translate(N_("none"))
    return str(value)


@pass_context
def _label_filter(context: Context, key: str) -> str:
    return method_label(key)


@pass_context
def _value_filter(context: Context, value: object) -> str:
    return method_value(value)


def install(env: Environment) -> None:
    """``method_label`` and ``method_value``; taking the context keeps Jinja from
    translating ``{{ "max_rounds" | method_label }}`` once, at compile time."""
    env.filters["method_label"] = _label_filter
    env.filters["method_value"] = _value_filter
