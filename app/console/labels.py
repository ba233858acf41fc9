"""Words for the enum values the console shows (a round's state, a statement's, a role...).

The values stay English in the database and the API; pages show them through the ``label``
filter, in the console's language. A value without a label is shown as it is. A service
that names such a value in an error passes :func:`said` as the value, so the error page
translates the word with the sentence; this module loads the catalogs only to translate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import N_, Say

if TYPE_CHECKING:
    from jinja2 import Environment

LABELS: dict[str, str] = {
    # rounds
    "draft": N_("draft"),
    "open": N_("open"),
    "closed": N_("closed"),
    # studies and statements
    "active": N_("active"),
    "finished": N_("finished"),
    "consensus": N_("consensus"),
    "dropped": N_("dropped"),
    "superseded": N_("superseded"),
    # outcomes of a statement in a round
    "carried": N_("carried forward"),
    "stable": N_("stable dissent"),
    # modes
    "rounds": N_("in rounds"),
    "realtime": N_("in real time"),
    # proposals
    "pending": N_("pending"),
    "accepted": N_("accepted"),
    "merged": N_("merged"),
    "rejected": N_("rejected"),
    # roles
    "owner": N_("owner"),
    "facilitator": N_("facilitator"),
    "observer": N_("observer"),
}


def _raw(value: object) -> str:
    return str(getattr(value, "value", value))


def label(value: object) -> str:
    """The translated word for an enum value (or its ``.value``)."""
    from app.i18n import translate

    message = LABELS.get(_raw(value))
    return translate(message) if message else _raw(value)


def said(value: object) -> str:
    """An enum value as a message's value: its English word (the value itself, where the
    label is the value) that :meth:`~app.errors.Say.text` translates with the message."""
    raw = _raw(value)
    message = LABELS.get(raw)
    return Say(message) if message == raw else raw


def install(env: Environment) -> None:
    env.filters["label"] = label
