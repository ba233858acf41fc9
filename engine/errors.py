"""Errors whose message an application can show in its reader's language.

The engine writes English only. An error of this module also keeps its message's
template and values, and the templates are marked with :func:`N_` where they are raised,
so that ``pybabel extract`` puts them in an application's catalogs. This module needs
nothing else, so an application can import it without loading numpy.
"""

from __future__ import annotations

__all__ = ["N_", "RuleError"]


def N_(message: str) -> str:
    """Mark ``message`` for an application's catalogs; the engine shows it as it is."""
    return message


class RuleError(ValueError):
    """A consensus rule that cannot be read, or a preset that does not exist.

    ``str()`` is the English message; ``template`` is the message with ``%(name)s``
    placeholders (marked with :func:`N_`) and ``params`` the values that fill it.

    Examples
    --------
    >>> from engine import ConsensusRule
    >>> try:
    ...     ConsensusRule.parse("popularity >= 7")
    ... except RuleError as error:
    ...     print(error.template.split(";")[0], "/", error.params["field"])
    unknown field %(field)r in consensus rule / popularity
    """

    template: str
    params: dict[str, object]

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params
