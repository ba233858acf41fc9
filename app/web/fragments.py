"""Rendered fragments kept by content, so a page reuses what it rendered before.

A chart of last round's ratings is the same HTML for every panelist who gave the same
rating, in the same language; a radio scale is the same for everyone with the same
answer. ``{{ once("chart", chart, c, id) }}`` renders the macro the first time and then
hands back the stored result for identical arguments: the arguments themselves are the
key (frozen, hashable values), with the language of the render, so nothing can go stale.
The store is bounded, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from app import i18n

KEPT = 8192

_kept: OrderedDict[tuple[Hashable, ...], Markup] = OrderedDict()
_lock = threading.Lock()


def once(name: str, macro: Any, *args: Hashable) -> Markup:
    """``macro(*args)``, rendered once per distinct ``(name, args, language)``."""
    key = (name, i18n.current_language(), *args)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    rendered = Markup(macro(*args))
    with _lock:
        _kept[key] = rendered
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return rendered


def install(env: Environment) -> None:
    env.globals["once"] = once
