"""Console forms whose fields depend on the study: a text per language, lists of ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.errors import N_, Invalid
from app.models import Survey


async def _form(request: Request) -> FormData:
    # Starlette keeps the parsed form on the request: the CSRF check reads the same one.
    return await request.form()


PostedForm = Annotated[FormData, Depends(_form)]


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise Invalid(N_("%(name)s: expected text, got a file"), name=name)
    return value


def translations(form: FormData, survey: Survey, prefix: str = "text") -> dict[str, str]:
    """``{language: text}`` from the fields ``<prefix>-<language>`` of every study language."""
    return {language: field(form, f"{prefix}-{language}") for language in survey.languages}


def ids(form: FormData, name: str) -> list[int]:
    """Every value of a repeated field (checkboxes), as ids."""
    result = []
    for value in form.getlist(name):
        if not isinstance(value, str) or not value.isdigit() or len(value) > 18:
            raise Invalid(
                N_("%(name)s: %(value)s is not an id"), name=name, value=repr(str(value)[:20])
            )
        result.append(int(value))
    return result


def one_id(form: FormData, name: str) -> int:
    found = ids(form, name)
    if len(found) != 1:
        raise Invalid(N_("%(name)s: choose one"), name=name)
    return found[0]
