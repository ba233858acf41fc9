"""Rendered fragments kept by content, so a page reuses what it rendered before.

A chart of last round's ratings is the same HTML for every panelist who gave the same
rating, in the same language; a radio scale is the same for everyone with the same
answer. ``{{ once("chart", chart, c, id) }}`` renders the macro the first time and then
hands back the stored result for identical arguments: the arguments themselves are the
key (frozen, hashable values), with the language of the render, so nothing can go stale.
The store is bounded by the characters it holds (a feedback section is a few KB, a radio
scale a few hundred bytes), least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from app import i18n

KEPT_CHARS = 16_000_000  # per worker; about 4,000 feedback sections

_kept: OrderedDict[tuple[Hashable, ...], Markup] = OrderedDict()
_held = 0
_lock = threading.Lock()


def once(name: str, macro: Any, *args: Hashable) -> Markup:
    """``macro(*args)``, rendered once per distinct ``(name, args, language)``."""
    key = (name, i18n.current_language(), *args)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    global _held
    rendered = Markup(macro(*args))
    with _lock:
        if key not in _kept:
            _kept[key] = rendered
            _held += len(rendered)
        while _held > KEPT_CHARS:
            _held -= len(_kept.popitem(last=False)[1])
    return rendered


def install(env: Environment) -> None:
    env.globals["once"] = once
