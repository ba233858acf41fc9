"""The floors the application is measured against: minimal FastAPI apps doing the same work.

``create_submit_app``: ``POST /round`` parses the same urlencoded questionnaire form and,
in one transaction, replaces the respondent's submitted set with the same rows the
application writes (one ``response`` row per rating and one ``submission`` row with the
compact cells), on the same database. The respondent comes from the
``X-Bench-Respondent`` header (the application finds it from the session cookie). On
SQLite the writers of the process take turns on a lock and begin ``IMMEDIATE``, the
plain way to write SQLite from threads without polling for its lock.

``create_page_app``: ``GET /round`` renders a bare Jinja template (autoescaped, a loop of
fieldsets of radios) to a page of ``BENCH_PAGE_BYTES`` bytes.

Both read ``DELPHI_DATABASE_URL`` and are served by uvicorn exactly as the application is
(see harness.Server).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection, Engine, create_engine, event, text
from starlette.concurrency import run_in_threadpool

UNANSWERED, CANNOT_JUDGE = -32768, -32767


def _engine(url: str) -> tuple[Engine, threading.Lock | None]:
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_size=10, max_overflow=10, pool_timeout=5)
        return engine, None
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 5},
        pool_size=10,
        max_overflow=10,
        pool_timeout=5,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine, threading.Lock()


def _random_id() -> int:
    return secrets.randbelow(2**53 - 1) + 1


def create_submit_app() -> FastAPI:
    engine, lock = _engine(os.environ["DELPHI_DATABASE_URL"])
    round_id = int(os.environ["BENCH_FLOOR_ROUND"])
    sqlite = lock is not None
    app = FastAPI()

    @contextmanager
    def transaction() -> Iterator[Connection]:
        if lock is None:
            with engine.begin() as connection:
                yield connection
            return
        with lock, engine.begin() as connection:
            yield connection

    def store(respondent_id: int, ratings: list[tuple[int, int, int | None]]) -> None:
        day: Any = dt.datetime.now(dt.UTC).date()
        if sqlite:
            day = day.isoformat()
        cells = np.array(
            [CANNOT_JUDGE if rating is None else rating for _, _, rating in ratings], dtype="<i2"
        ).tobytes()
        key = {"round": round_id, "respondent": respondent_id}
        with transaction() as connection:
            if not sqlite:
                # One answer set at a time per respondent, as in the application.
                connection.execute(
                    text("SELECT id FROM respondent WHERE id = :respondent FOR UPDATE"), key
                )
            connection.execute(
                text(
                    "DELETE FROM response WHERE round_id = :round AND respondent_id = :respondent"
                ),
                key,
            )
            connection.execute(
                text(
                    "DELETE FROM submission WHERE round_id = :round AND respondent_id = :respondent"
                ),
                key,
            )
            connection.execute(
                text(
                    "INSERT INTO submission (id, round_id, respondent_id, submitted_on, "
                    "updated_on, cells) VALUES (:id, :round, :respondent, :day, :day, :cells)"
                ),
                {**key, "id": _random_id(), "day": day, "cells": cells},
            )
            connection.execute(
                text(
                    "INSERT INTO response (id, round_id, respondent_id, statement_id, "
                    "criterion_id, rating, cannot_judge, answered_on) VALUES "
                    "(:id, :round, :respondent, :statement, :criterion, :rating, :cj, :day)"
                ),
                [
                    {
                        **key,
                        "id": _random_id(),
                        "statement": statement,
                        "criterion": criterion,
                        "rating": rating,
                        "cj": rating is None,
                        "day": day,
                    }
                    for statement, criterion, rating in ratings
                ],
            )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/round")
    async def submit(request: Request) -> Response:
        form = await request.form()
        respondent_id = int(request.headers["x-bench-respondent"])
        ratings = []
        for name, value in form.multi_items():
            if name.startswith("r-") and isinstance(value, str):
                _, statement, criterion = name.split("-")
                rating = None if value == "cj" else int(value)
                ratings.append((int(statement), int(criterion), rating))
        await run_in_threadpool(store, respondent_id, ratings)
        return RedirectResponse("/round?status=submitted", status_code=303)

    return app


PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body><main><h1>{{ title }}</h1>
<form method="post" action="/round">
{% for item in items %}<fieldset class="question" id="s-{{ item.id }}">
<legend>{{ item.number }}. {{ item.text }}</legend>
{% for point in item.points %}<div class="point">
<input type="radio" id="{{ item.name }}-{{ point }}" name="{{ item.name }}"
 value="{{ point }}"{% if point == item.selected %} checked{% endif %}>
<label for="{{ item.name }}-{{ point }}">{{ point }}</label></div>
{% endfor %}</fieldset>
{% endfor %}<button name="action" value="submit">Submit</button></form></main></body></html>
"""
)


def _item(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "number": i + 1,
        "name": f"r-{i}-1",
        "text": f"Statement {i + 1}: strengthen cooperation & share evidence <across> borders.",
        "points": list(range(1, 10)),
        "selected": 1 + i % 9,
    }


def page_of(size: int) -> list[dict[str, Any]]:
    """Items enough for a page of about ``size`` bytes."""
    one = len(PAGE.render(title="Questionnaire", items=[_item(0)]).encode())
    empty = len(PAGE.render(title="Questionnaire", items=[]).encode())
    count = max(1, round((size - empty) / max(1, one - empty)))
    return [_item(i) for i in range(count)]


def create_page_app() -> FastAPI:
    items = page_of(int(os.environ["BENCH_PAGE_BYTES"]))
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/round", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE.render(title="Questionnaire", items=items))

    return app
