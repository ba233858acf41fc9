"""A ranking question over two rounds on real parts: uvicorn, a fresh database, SMTP.

Eight panelists open their emailed links and order the statements of two topics (one of
them first posts a ranking with a position twice and is refused, the answers kept); the
facilitator closes round 1 in the console and launches round 2, where each panelist
sees the panel's mean ranks and their own previous positions and orders again. The
analyst API must report exactly scipy's figures on the positions this test posted:
Friedman's chi-square and p, Kendall's W, mean ranks, position counts, the change of W
and the panelists' Spearman correlations with their own first ranking.
"""

from __future__ import annotations

import csv
import random
import re

import httpx
import numpy as np
import pytest
from scipy import stats

from tests.e2e.test_study_e2e import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    csrf_of,
    open_link,
    parse_html,
    questionnaire,
    sign_in,
)

pytestmark = pytest.mark.e2e

STUDY = "ranking-e2e"
PANEL = 8
TIMEOUT = 30.0
STUDY_FILE = """
key: ranking-e2e
title: {en: "Ranking end to end"}
languages: [en]
stakeholder_groups:
  - {key: member-state, label: {en: "Member states"}}
  - {key: ngo, label: {en: "NGOs"}}
min_group_size: 3
criteria:
  - key: importance
    label: {en: "Importance"}
    question: {en: "How important is it?"}
    scale: {low: 1, high: 5}
    consensus: "median >= 5 and agree >= 0.9"
  - key: priority
    kind: rank
    label: {en: "Priority"}
    question: {en: "Order the strategies of this topic by priority."}
topics:
  - key: cyber
    title: {en: "Cybercrime"}
    statements:
      - {key: c1, text: {en: "Train prosecutors"}}
      - {key: c2, text: {en: "Share threat data"}}
      - {key: c3, text: {en: "Fund hotlines"}}
      - {key: c4, text: {en: "Harmonise laws"}}
      - {key: c5, text: {en: "Audit platforms"}}
  - key: wildlife
    title: {en: "Wildlife"}
    statements:
      - {key: w1, text: {en: "Port inspections"}}
      - {key: w2, text: {en: "Demand campaigns"}}
      - {key: w3, text: {en: "Ranger training"}}
"""
TOPICS = {"cyber": 5, "wildlife": 3}

Positions = dict[str, list[int]]  # topic -> positions of its statements in page order


def launch(console: httpx.Client, number: int) -> None:
    page = console.get(f"/console/studies/{STUDY}")
    response = console.post(
        f"/console/studies/{STUDY}/rounds",
        data={"csrf_token": csrf_of(parse_html(page.text)), "deadline": ""},
    )
    assert response.status_code == 303, response.text
    after = console.get(response.headers["location"])
    assert f"Round {number} launched: {PANEL} invitations are queued." in after.text


def close(console: httpx.Client, number: int) -> str:
    confirm = console.get(f"/console/studies/{STUDY}/rounds/{number}/close")
    response = console.post(
        f"/console/studies/{STUDY}/rounds/{number}/close",
        data={"csrf_token": csrf_of(parse_html(confirm.text))},
    )
    assert response.status_code == 303, response.text
    report = console.get(response.headers["location"]).text
    assert f"{PANEL} of {PANEL} panelists submitted" in report
    return report


def deliver(deployment, mailbox) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the outbox worker once; each panelist's link, in panel order."""
    start = len(mailbox.messages)
    assert f"sent {PANEL}, failed 0" in deployment.cli("mail", "send", "--once")
    pattern = re.compile(re.escape(deployment.base_url) + r"/r/[A-Za-z0-9_\-]+")
    links = {}
    for recipients, message in mailbox.since(start):
        [link] = set(pattern.findall(message.get_body(preferencelist=("plain",)).get_content()))
        links[recipients[0]] = link
    return [links[f"ranker{p}@example.org"] for p in range(PANEL)]


def fields(html: str) -> tuple[str, list[str], dict[str, list[str]]]:
    """The CSRF token, the rating radios' names and the position selects per topic."""
    page = parse_html(html)
    radios = sorted(
        {i.attrs["name"] for i in page.find_all("input") if i.attrs.get("type") == "radio"}
    )
    selects = [s.attrs["name"] for s in page.find_all("select")]
    cyber = TOPICS["cyber"]
    return csrf_of(page), radios, {"cyber": selects[:cyber], "wildlife": selects[cyber:]}


def form(html: str, positions: Positions, action: str = "submit") -> dict[str, str]:
    csrf, radios, selects = fields(html)
    data = {"csrf_token": csrf, "action": action, **dict.fromkeys(radios, "3")}
    for topic, names in selects.items():
        data.update({name: str(p) for name, p in zip(names, positions[topic], strict=True)})
    return data


def orders(seed: int, pull: float) -> list[Positions]:
    """Each panelist's positions: a shared order, each panelist's own swaps (fewer as
    ``pull`` grows, so round 2 agrees more)."""
    rng = random.Random(seed)
    result = []
    for _ in range(PANEL):
        ranking: Positions = {}
        for topic, size in TOPICS.items():
            order = list(range(size))
            for _ in range(round((1 - pull) * size)):
                a, b = rng.randrange(size), rng.randrange(size)
                order[a], order[b] = order[b], order[a]
            positions = [0] * size
            for place, index in enumerate(order, start=1):
                positions[index] = place
            ranking[topic] = positions
        result.append(ranking)
    return result


def answer(deployment, links: list[str], rankings: list[Positions]) -> list[str]:  # type: ignore[no-untyped-def]
    """Each panelist submits their ranking; returns the pages they were shown."""
    pages = []
    for link, ranking in zip(links, rankings, strict=True):
        with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
            open_link(browser, link)
            html = questionnaire(browser)  # the topic pages joined
            pages.append(html)
            response = browser.post("/round", data=form(html, ranking), follow_redirects=False)
            assert response.status_code == 303, response.text
    return pages


def expected(rankings: list[Positions], topic: str) -> np.ndarray:
    return np.array([r[topic] for r in rankings], dtype=float)


def assert_round(body: dict, rankings: list[Positions]) -> None:
    for question in body["rankings"]:
        x = expected(rankings, question["topic"])
        chi2, p = stats.friedmanchisquare(*x.T)
        m, n = x.shape
        assert question["rankers"] == m
        assert question["chi2"] == pytest.approx(chi2)
        assert question["p"] == pytest.approx(p)
        assert question["w"] == pytest.approx(chi2 / (m * (n - 1)))
        means = [s["mean_rank"] for s in question["statements"]]
        assert means == pytest.approx(x.mean(axis=0).tolist())
        for j, s in enumerate(question["statements"]):
            assert s["distribution"] == [int((x[:, j] == q).sum()) for q in range(1, n + 1)]


def test_a_ranking_question_over_two_rounds(deployment, mailbox, tmp_path):  # type: ignore[no-untyped-def]
    study_file = tmp_path / "ranking.yaml"
    study_file.write_text(STUDY_FILE, encoding="utf-8")
    panel_file = tmp_path / "panel.csv"
    with panel_file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "stakeholder_group", "language"])
        for p in range(PANEL):
            writer.writerow(
                [f"ranker{p}@example.org", f"Ranker {p}", ("member-state", "ngo")[p % 2], "en"]
            )
    deployment.cli("db", "upgrade")
    deployment.cli("survey", "import", str(study_file))
    deployment.cli("panel", "import", STUDY, str(panel_file))
    deployment.cli(
        "facilitator",
        "create",
        FACILITATOR_EMAIL,
        "--name",
        "E2E",
        "--password",
        FACILITATOR_PASSWORD,
    )
    deployment.cli("team", "add", STUDY, FACILITATOR_EMAIL, "--role", "owner")
    api_key = deployment.cli("apikey", "create", "e2e").strip().splitlines()[-1]
    deployment.serve()
    first, second = orders(11, pull=0.2), orders(12, pull=0.8)

    with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as console:
        sign_in(console)
        launch(console, 1)
        links = deliver(deployment, mailbox)

        # A ranking with position 1 twice and 2 missing: refused, named, the answers kept.
        with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
            open_link(browser, links[0])
            html = questionnaire(browser)
            wrong = {"cyber": [1, 1, 3, 4, 5], "wildlife": [1, 2, 3]}
            response = browser.post("/round", data=form(html, wrong), follow_redirects=False)
            assert response.status_code == 422
            assert (
                "position 1 is given to statements 1, 2; position 2 is not given" in response.text
            )
            kept = questionnaire(browser)
            assert kept.count('<option value="1" selected>') == 3  # two in cyber, one in wildlife

        answer(deployment, links, first)
        close(console, 1)
        launch(console, 2)
        pages = answer(deployment, deliver(deployment, mailbox), second)
        report = close(console, 2)

    # Round 2 shows each panelist the panel's mean rank and their own first position.
    x = expected(first, "cyber")
    for page, ranking in zip(pages, first, strict=True):
        mean = f"{x[:, 0].mean():.2f}".rstrip("0").rstrip(".")
        assert f"Round 1: mean rank {mean} among {PANEL} panelists." in page
        assert f"You put it at position {ranking['cyber'][0]}." in page
    assert "Ranking: Priority – Cybercrime" in report

    with httpx.Client(
        base_url=deployment.base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=TIMEOUT,
    ) as api:
        [study] = api.get("/api/v1/studies").json()
        assert [(c["key"], c["kind"]) for c in study["criteria"]] == [
            ("importance", "rating"),
            ("priority", "rank"),
        ]
        one = api.get(f"/api/v1/studies/{STUDY}/rounds/1/metrics").json()
        two = api.get(f"/api/v1/studies/{STUDY}/rounds/2/metrics").json()
    assert_round(one, first)
    assert_round(two, second)
    for before, after in zip(one["rankings"], two["rankings"], strict=True):
        change = after["change"]
        assert change["w_change"] == pytest.approx(after["w"] - before["w"])
        rho = [
            stats.spearmanr(a, b).statistic
            for a, b in zip(
                expected(first, after["topic"]), expected(second, after["topic"]), strict=True
            )
        ]
        rho = [r for r in rho if not np.isnan(r)]
        assert change["panelists"] == PANEL
        assert change["spearman_median"] == pytest.approx(np.median(rho))
        assert change["spearman_mean"] == pytest.approx(np.mean(rho))
