"""Words for the enum values the console shows (a round's state, a statement's, a role...).

The values stay English in the database and the API; pages show them through the ``label``
filter, in the console's language. A value without a label is shown as it is.
"""

from __future__ import annotations

from jinja2 import Environment

from app.i18n import N_, translate

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


def label(value: object) -> str:
    """The translated word for an enum value (or its ``.value``)."""
    raw = str(getattr(value, "value", value))
    message = LABELS.get(raw)
    return translate(message) if message else raw


def install(env: Environment) -> None:
    env.filters["label"] = label
