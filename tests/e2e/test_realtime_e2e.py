"""A real-time study on real parts: uvicorn, a fresh database, SMTP, the CLI.

Thirty panelists open the one link their email brought and answer six statements in an
interleaved order, revising some answers after seeing the panel's. After every answer
the test reads the panelist's page: a statement's feedback must show exactly when they
answered it and at least ``feedback_after`` (5) panelists have. The facilitator takes
two checkpoints in the console while the answers come in; the analyst API must report,
for each, exactly the engine's figures on the answers as they stood when it was taken.
Each panelist also ranks the first topic's strategies (its ranking question, top 3),
some twice: the ranking figures must show exactly when they ranked and 5 have, leave the
statements' feedback as it is, and each checkpoint's Kendall's W be the engine's on the
rankings as they stood.
"""

from __future__ import annotations

import copy
import csv
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml

import engine
from app.studies.schemas import CriterionIn
from tests.e2e.test_study_e2e import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    TIMEOUT,
    csrf_of,
    deliver,
    make_panel,
    parse_html,
    sign_in,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STUDY_FILE = ROOT / "surveys" / "crime-prevention-realtime.yaml"
STUDY = "crime-prevention-realtime"
ASKED = 6  # the statements panelists answer (the first topic's, in page order)
THRESHOLD = 5

Model = dict[str, dict[int, dict[int, int | None]]]  # email -> statement -> criterion -> rating
Ranked = dict[str, dict[int, int]]  # email -> statement -> position (first topic)
RANK = -1  # the event "rank the first topic"


def scales() -> dict[str, tuple[int, int]]:
    definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    return {
        c["key"]: (c["scale"]["low"], c["scale"]["high"])
        for c in definition["criteria"]
        if c.get("kind", "rating") == "rating"
    }


def bands(key: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The criterion's agree and disagree bands as the study file gives (or implies) them."""
    definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    [criterion] = [c for c in definition["criteria"] if c["key"] == key]
    return CriterionIn.model_validate(criterion).bands()


def page_fields(html: str) -> tuple[str, list[int], list[int]]:
    """The CSRF token, statement ids in page order and criterion ids of the live page."""
    cells = [(int(s), int(c)) for s, c in re.findall(r'name="r-(\d+)-(\d+)"', html)]
    statements = list(dict.fromkeys(s for s, _ in cells))
    criteria = sorted({c for _, c in cells})
    return csrf_of(parse_html(html)), statements, criteria


def rank_fields(html: str) -> list[str]:
    """The first topic's position fields (its ranking question), in page order."""
    first = html.split('<section class="topic"')[1]
    return re.findall(r'name="(rank-\d+-\d+)"', first)


def ranking_shown(html: str) -> bool:
    first = html.split('<section class="topic"')[1]
    return 'class="ranking__feedback"' in first


def kendall(ranked: Ranked, statements: list[int]) -> Any:
    x = np.full((sum(bool(r) for r in ranked.values()), len(statements)), np.nan)
    for row, positions in enumerate(r for r in ranked.values() if r):
        for sid, position in positions.items():
            x[row, statements.index(sid)] = position
    return engine.kendalls_w(engine.complete_rankings(x))


def shown(html: str, statements: list[int]) -> set[int]:
    return {sid for sid in statements if f'id="fb-{sid}"' in html}


def withheld(html: str) -> list[str]:
    """What the page says of the statements whose feedback it holds back (for failures)."""
    return re.findall(r'<p class="feedback__withheld">([^<]*)</p>', html)


def visible(model: Model, email: str) -> set[int]:
    """The statements whose feedback ``email`` must see: answered by them and at least 5
    others, with none or at least 5 ratings (not "cannot judge") on every criterion."""
    out = set()
    for sid in model[email]:
        given = [a[sid] for a in model.values() if sid in a]
        rated = [sum(g[c] is not None for g in given) for c in model[email][sid]]
        if len(given) >= THRESHOLD and all(n == 0 or n >= THRESHOLD for n in rated):
            out.add(sid)
    return out


def take_checkpoint(console: httpx.Client) -> None:
    page = console.get(f"/console/studies/{STUDY}/live")
    assert page.status_code == 200
    response = console.post(
        f"/console/studies/{STUDY}/checkpoint",
        data={"csrf_token": csrf_of(parse_html(page.text))},
    )
    assert response.status_code == 303, response.text
    assert "Checkpoint taken" in console.get(response.headers["location"]).text


def expected(
    model: Model, statements: list[int], cid: int, key: str, scale: tuple[int, int]
) -> Any:
    rows = [
        [
            np.nan if answers.get(sid, {}).get(cid) is None else answers[sid][cid]
            for sid in statements
        ]
        for answers in model.values()
        if answers
    ]
    cannot = [sum(sid in a and a[sid][cid] is None for a in model.values()) for sid in statements]
    agree, disagree = bands(key)
    return engine.summarize(
        np.asarray(rows, dtype=float),
        engine.Scale(*scale),
        quantile_method="weibull",
        agree=agree,
        disagree=disagree,
        cannot_judge=np.asarray(cannot),
    ).records()


def test_a_real_time_study_end_to_end(deployment: Any, mailbox: Any) -> None:
    panel = make_panel()
    csv_path = deployment.log_path.with_name("panel.csv")
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "stakeholder_group", "language"])
        writer.writerows([p.email, p.name, p.group, p.language] for p in panel)
    deployment.cli("db", "upgrade")
    deployment.cli("survey", "import", str(STUDY_FILE))
    deployment.cli("panel", "import", STUDY, str(csv_path))
    deployment.cli(
        "facilitator", "create", FACILITATOR_EMAIL, "--name", "E2E", "--password",
        FACILITATOR_PASSWORD,
    )  # fmt: skip
    deployment.cli("team", "add", STUDY, FACILITATOR_EMAIL, "--role", "owner")
    api_key = deployment.cli("apikey", "create", "e2e").strip().splitlines()[-1]
    deployment.serve()
    rng = np.random.default_rng(11)
    criteria_scales = list(scales().items())
    model: Model = {p.email: {} for p in panel}
    ranked: Ranked = {p.email: {} for p in panel}
    frozen: list[tuple[Model, Ranked]] = []

    with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as console:
        sign_in(console)
        page = console.get(f"/console/studies/{STUDY}")
        launched = console.post(
            f"/console/studies/{STUDY}/rounds",
            data={"csrf_token": csrf_of(parse_html(page.text)), "deadline": ""},
        )
        assert launched.status_code == 303, launched.text
        links = deliver(deployment, mailbox, panel)
        browsers = {
            p.email: httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) for p in panel
        }
        try:
            for p in panel:
                opened = browsers[p.email].get(links[p.email], follow_redirects=True)
                assert opened.status_code == 200
                assert opened.url.path == "/live"
            first_page = browsers[panel[0].email].get("/live").text
            _, statements, criteria = page_fields(first_page)
            asked = statements[:ASKED]
            fields = rank_fields(first_page)
            topic = [int(f.split("-")[1]) for f in fields]
            # Everyone answers three statements and ranks the first topic, in an
            # interleaved order; one in four is followed later by a revision of it.
            events = [
                (p.email, sid)
                for p in panel
                for sid in [*rng.choice(asked, 3, replace=False), RANK]
            ]
            order = [events[i] for i in rng.permutation(len(events))]
            revisions = [order[i] for i in rng.choice(len(order), len(order) // 4, replace=False)]
            order += [revisions[i] for i in rng.permutation(len(revisions))]
            for step, (email, sid) in enumerate(order):
                browser = browsers[email]
                html = browser.get("/live").text
                assert shown(html, statements) == visible(model, email), withheld(html)
                token, _, _ = page_fields(html)
                if sid == RANK:
                    chosen = [int(j) for j in rng.permutation(len(fields))[:3]]
                    data = {"csrf_token": token, "action": "submit"}
                    data.update({fields[j]: str(n) for n, j in enumerate(chosen, start=1)})
                    posted = browser.post("/live", data=data, follow_redirects=False)
                    assert posted.status_code == 303, posted.text
                    ranked[email] = {topic[j]: n for n, j in enumerate(chosen, start=1)}
                    after = browser.get("/live").text
                    rankers = sum(bool(r) for r in ranked.values())
                    assert ranking_shown(after) == (rankers >= THRESHOLD), f"step {step}"
                    assert shown(after, statements) == visible(model, email), f"step {step}"
                else:
                    ratings = {
                        cid: (None if rng.random() < 0.05 else int(rng.integers(lo, hi + 1)))
                        for cid, (_, (lo, hi)) in zip(criteria, criteria_scales, strict=True)
                    }
                    data = {"csrf_token": token, "action": "submit"}
                    for cid, rating in ratings.items():
                        data[f"r-{sid}-{cid}"] = "cj" if rating is None else str(rating)
                    data[f"reason-{sid}"] = f"Step {step}: a reason for statement {sid}."
                    posted = browser.post("/live", data=data, follow_redirects=False)
                    assert posted.status_code == 303, posted.text
                    model[email][int(sid)] = ratings
                    after = browser.get("/live").text
                    assert shown(after, statements) == visible(model, email), f"step {step}"
                    assert ranking_shown(after) == (
                        bool(ranked[email]) and sum(bool(r) for r in ranked.values()) >= THRESHOLD
                    ), f"step {step}"
                if step in (len(order) // 2, len(order) - 10):
                    take_checkpoint(console)
                    frozen.append((copy.deepcopy(model), copy.deepcopy(ranked)))
        finally:
            for browser in browsers.values():
                browser.close()

    with httpx.Client(
        base_url=deployment.base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=TIMEOUT,
    ) as api:
        listed = {s["key"]: s for s in api.get("/api/v1/studies").json()}
        assert listed[STUDY]["mode"] == "realtime"
        rounds = api.get(f"/api/v1/studies/{STUDY}/rounds").json()
        assert [r["state"] for r in rounds] == ["closed", "closed", "open"]
        for number, (stood, ranks) in enumerate(frozen, start=1):
            body = api.get(f"/api/v1/studies/{STUDY}/rounds/{number}/metrics").json()
            question = body["rankings"][0]
            want_w = kendall(ranks, topic)
            assert question["rankers"] == sum(bool(r) for r in ranks.values())
            assert question["w"] == pytest.approx(want_w.w, abs=1e-12)
            assert question["chi2"] == pytest.approx(want_w.chi2, abs=1e-9)
            assert body["responded"] == sum(bool(a) or bool(ranks[e]) for e, a in stood.items())
            got = body["statements"][:ASKED]
            for k, (key, scale) in enumerate(criteria_scales):
                want = expected(stood, asked, criteria[k], key, scale)
                for j in range(ASKED):
                    record = got[j]["criteria"][key]
                    for name in ("n", "counts", "cannot_judge", "median", "q1", "q3", "iqr"):
                        if isinstance(want[j][name], float):
                            assert record[name] == pytest.approx(want[j][name], abs=1e-12)
                        else:
                            assert record[name] == want[j][name], (number, key, j, name)
            assert all(
                s["criteria"][key]["n"] == 0
                for s in body["statements"][ASKED:]
                for key, _ in criteria_scales
            )
        second = api.get(f"/api/v1/studies/{STUDY}/rounds/2/metrics").json()
        assert second["statements"][0]["criteria"][criteria_scales[0][0]]["change"]
