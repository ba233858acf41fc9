"""A whole two-round study on real parts: uvicorn, a fresh database, SMTP, the CLI.

After the set-up commands everything goes through HTTP as a browser or an analyst would
send it: the facilitator signs in and launches and closes rounds in the console, each of
30 panelists opens the link from the email the SMTP server received and answers, and the
analyst API must report exactly the engine's figures on the ratings this test posted.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml

import engine

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STUDY_FILE = ROOT / "surveys" / "crime-prevention-strategy.yaml"
STUDY = "crime-prevention-2027"
FACILITATOR_EMAIL = "facilitator@example.org"
FACILITATOR_PASSWORD = "e2e facilitator passphrase"
PANEL = {"member-state": 8, "ngo": 7, "institute": 6, "academia": 6, "private-sector": 3}
# private-sector is below k = 5 everywhere; which other group is hidden with it depends on
# each statement's "cannot judge" answers (see rated_by_group).
LANGUAGES = ("en", "fr", "es")
TIMEOUT = 30.0

Answers = dict[str, dict[str, int | None]]  # statement key -> criterion key -> rating


# --- reading the pages ---------------------------------------------------------------

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag == tag and (
                    cls is None or cls in child.attrs.get("class", "").split()
                ):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def csrf_of(page: Element) -> str:
    # The questionnaire's pages joined hold one (differently masked) token each: any serves.
    tokens = [
        i.attrs["value"] for i in page.find_all("input") if i.attrs.get("name") == "csrf_token"
    ]
    assert tokens, "expected a CSRF token on the page"
    return tokens[0]


@dataclass
class Questionnaire:
    csrf: str
    statement_ids: dict[str, int]  # statement key -> id, in page order
    criterion_ids: dict[str, int]  # criterion key -> id
    checked: dict[str, str]  # field name -> value of the checked radio
    # (statement key, criterion key) -> the chart's figures: median, IQR, own rating
    feedback: dict[tuple[str, str], list[str]]
    reasons_shown: list[str]


@dataclass(frozen=True)
class Study:
    """What the test knows from the study file, independently of the app."""

    statements: list[str]
    statement_of_text: dict[str, str]
    criteria: dict[str, dict[str, Any]]

    @classmethod
    def load(cls) -> Study:
        data = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
        statements = [s for topic in data["topics"] for s in topic["statements"]]
        texts = {text.strip(): s["key"] for s in statements for text in s["text"].values()}
        # The rating criteria (the demo's ranking question is left unanswered here).
        criteria = {c["key"]: c for c in data["criteria"] if c.get("kind", "rating") == "rating"}
        return cls([s["key"] for s in statements], texts, criteria)

    def scale(self, criterion: str) -> tuple[int, int]:
        scale = self.criteria[criterion]["scale"]
        return int(scale["low"]), int(scale["high"])

    def read(self, html: str) -> Questionnaire:
        page = parse_html(html)
        statement_ids: dict[str, int] = {}
        points: dict[int, set[str]] = defaultdict(set)
        checked: dict[str, str] = {}
        for radio in page.find_all("input"):
            name = radio.attrs.get("name", "")
            if match := re.fullmatch(r"r-(\d+)-(\d+)", name):
                points[int(match[2])].add(radio.attrs["value"])
                if "checked" in radio.attrs:
                    checked[name] = radio.attrs["value"]
        # The two criteria have scales of different length: that is how the test tells them.
        by_size = {self.scale(k)[1] - self.scale(k)[0] + 1: k for k in self.criteria}
        criterion_ids = {by_size[len(values - {"cj"})]: cid for cid, values in points.items()}
        criterion_of = {cid: key for key, cid in criterion_ids.items()}
        feedback: dict[tuple[str, str], list[str]] = {}
        for article in page.find_all("article", "statement"):
            [text] = article.find_all("span", "statement__text")
            key = self.statement_of_text[text.text().strip()]
            statement_ids[key] = int(article.attrs["id"].removeprefix("statement-"))
            for figure in article.find_all("figure", "chart"):
                [svg] = figure.find_all("svg")
                cid = int(svg.attrs["aria-labelledby"].split("-")[2])
                figures = [s.text().strip() for s in figure.find_all("span", "chart__figure")]
                feedback[(key, criterion_of[cid])] = figures
        reasons = [q.text().strip() for q in page.find_all("blockquote", "quote")]
        return Questionnaire(
            csrf_of(page), statement_ids, criterion_ids, checked, feedback, reasons
        )


def number(text: str) -> float:
    """A figure as the page prints it ("7", "6.5"), after its label."""
    return decimal(text.rsplit(":", 1)[-1])


def decimal(text: str) -> float:
    """A decimal as any panelist's page writes it: "6.5" in English, "6,5" in French."""
    return float(text.strip().replace(",", "."))


# --- the panel -----------------------------------------------------------------------


@dataclass
class Panelist:
    email: str
    name: str
    group: str
    language: str
    answers: dict[int, Answers] = field(default_factory=dict)
    reasons: dict[int, dict[str, str]] = field(default_factory=dict)
    submitted: set[int] = field(default_factory=set)


def make_panel() -> list[Panelist]:
    panel: list[Panelist] = []
    for group, size in PANEL.items():
        for n in range(len(panel), len(panel) + size):
            panel.append(
                Panelist(
                    email=f"panelist{n:02d}@example.org",
                    name=f"Panelist {n:02d}",
                    group=group,
                    language=LANGUAGES[n % len(LANGUAGES)],
                )
            )
    return panel


class Profiles:
    """Seeded group profiles: every third statement the whole panel rates important;
    elsewhere each stakeholder group has its own centre, so the panel disagrees."""

    def __init__(self, study: Study, statement_keys: list[str], seed: int = 2027) -> None:
        self.study = study
        self.rng = np.random.default_rng(seed)
        self.agreed = set(statement_keys[::3])
        self.centre = {
            (group, statement, criterion): int(self.rng.integers(low, high + 1))
            for group in PANEL
            for statement in statement_keys
            for criterion, (low, high) in ((c, study.scale(c)) for c in study.criteria)
        }

    def first(self, group: str, statement: str, criterion: str) -> int | None:
        low, high = self.study.scale(criterion)
        if criterion == "importance" and statement in self.agreed:
            return int(self.rng.choice([7, 8, 9], p=[0.2, 0.4, 0.4]))
        if self.rng.random() < 0.03:
            return None
        jitter = int(self.rng.integers(-1, 2))
        return int(np.clip(self.centre[(group, statement, criterion)] + jitter, low, high))

    def revise(
        self, group: str, statement: str, criterion: str, own: int | None, median: float
    ) -> int | None:
        """Round 2: move half-way towards the median the page showed."""
        if own is None:
            return self.centre[(group, statement, criterion)]
        low, high = self.study.scale(criterion)
        return int(np.clip(own + round((median - own) / 2), low, high))


# --- driving the app over HTTP -------------------------------------------------------


def sign_in(console: httpx.Client) -> None:
    form = console.get("/console/login")
    assert form.status_code == 200
    response = console.post(
        "/console/login",
        data={
            "csrf_token": csrf_of(parse_html(form.text)),
            "email": FACILITATOR_EMAIL,
            "password": FACILITATOR_PASSWORD,
            "next": "",
        },
    )
    assert response.status_code == 303, response.text


def launch(console: httpx.Client, number_: int) -> None:
    page = console.get(f"/console/studies/{STUDY}")
    assert page.status_code == 200
    response = console.post(
        f"/console/studies/{STUDY}/rounds",
        data={"csrf_token": csrf_of(parse_html(page.text)), "deadline": ""},
    )
    assert response.status_code == 303, response.text
    after = console.get(response.headers["location"])
    assert f"Round {number_} launched: 30 invitations are queued." in after.text


def close(console: httpx.Client, number_: int, submitted: int) -> None:
    confirm = console.get(f"/console/studies/{STUDY}/rounds/{number_}/close")
    assert confirm.status_code == 200
    response = console.post(
        f"/console/studies/{STUDY}/rounds/{number_}/close",
        data={"csrf_token": csrf_of(parse_html(confirm.text))},
    )
    assert response.status_code == 303, response.text
    report = console.get(response.headers["location"])
    assert f"{submitted} of 30 panelists submitted" in report.text


def deliver(deployment: Any, mailbox: Any, panel: list[Panelist]) -> dict[str, str]:
    """Run the outbox worker once; return each panelist's link from the email received."""
    start = len(mailbox.messages)
    assert "sent 30, failed 0" in deployment.cli("mail", "send", "--once")
    links: dict[str, str] = {}
    link_pattern = re.compile(re.escape(deployment.base_url) + r"/r/[A-Za-z0-9_\-]+")
    for recipients, message in mailbox.since(start):
        body = message.get_body(preferencelist=("plain",)).get_content()
        [link] = set(link_pattern.findall(body))
        [recipient] = recipients
        links[recipient] = link
    assert set(links) == {p.email for p in panel}
    return links


def open_link(browser: httpx.Client, link: str) -> httpx.Response:
    """Follow the emailed link: a session cookie and a redirect to a URL without the token."""
    page = browser.get(link, follow_redirects=True)
    assert page.status_code == 200
    assert [r.status_code for r in page.history] == [303]
    token = link.rsplit("/", 1)[1]
    assert page.url.path == "/round"
    assert token not in str(page.url)
    return page


def questionnaire(browser: httpx.Client) -> str:
    """Every topic page of the questionnaire, one after the other (a post without a page
    field then answers the whole round at once)."""
    first = browser.get("/round").text
    pages = first.count('class="steps__item"') - 1
    return "".join([first, *(browser.get(f"/round?topic={n}").text for n in range(2, pages + 1))])


def form_data(q: Questionnaire, answers: Answers, reasons: dict[str, str], action: str) -> dict:
    data = {"csrf_token": q.csrf, "action": action}
    for statement, ratings in answers.items():
        sid = q.statement_ids[statement]
        for criterion, rating in ratings.items():
            data[f"r-{sid}-{q.criterion_ids[criterion]}"] = "cj" if rating is None else str(rating)
        if statement in reasons:
            data[f"reason-{sid}"] = reasons[statement]
    return data


def post(browser: httpx.Client, data: dict, expected_status: str) -> None:
    response = browser.post("/round", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = "/round/submitted" if expected_status in ("submitted", "proposed") else "/round"
    assert response.headers["location"].endswith(f"{page}?status={expected_status}")


# --- what the engine says about what was posted --------------------------------------


def expected(study: Study, panel: list[Panelist], round_: int, statements: list[str], crit: str):
    rows = [
        [
            np.nan if p.answers[round_][s][crit] is None else p.answers[round_][s][crit]
            for s in statements
        ]
        for p in panel
        if round_ in p.submitted
    ]
    matrix = np.asarray(rows, dtype=float)
    definition = study.criteria[crit]
    return engine.summarize(
        matrix,
        engine.Scale(*study.scale(crit)),
        quantile_method="weibull",
        agree=tuple(definition["agree"]),
        disagree=tuple(definition["disagree"]),
        cannot_judge=np.isnan(matrix).sum(axis=0),
        cannot_judge_counts=False,
    )


def rated_by_group(
    panel: list[Panelist], round_: int, statements: list[str], criteria: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``(raters, matrix)``: raters per group (sorted) and cell, and the submitted ratings."""
    submitted = [p for p in panel if round_ in p.submitted]
    matrix = np.array(
        [
            [
                np.nan if p.answers[round_][s][c] is None else p.answers[round_][s][c]
                for c in criteria
                for s in statements
            ]
            for p in submitted
        ],
        dtype=float,
    )
    groups = np.array([p.group for p in submitted])
    raters = np.array([(~np.isnan(matrix[groups == g])).sum(axis=0) for g in sorted(PANEL)])
    return raters, matrix


def assert_metrics_match(body: dict, study: Study, panel: list[Panelist], round_: int) -> None:
    statements = [s["key"] for s in body["statements"]]
    assert body["responded"] == sum(round_ in p.submitted for p in panel)
    criteria = list(study.criteria)
    raters, _ = rated_by_group(panel, round_, statements, criteria)
    shown = engine.shown_cells(raters, min_size=5).reshape(len(PANEL), len(criteria), -1)
    assert not shown[sorted(PANEL).index("private-sector")].any()
    for k, criterion in enumerate(criteria):
        records = expected(study, panel, round_, statements, criterion).records()
        for j, statement in enumerate(body["statements"]):
            got = statement["criteria"][criterion]
            for name in [*engine.Summary.metric_names(), "counts", "cannot_judge"]:
                want = records[j][name]
                if isinstance(want, float):
                    assert got[name] == pytest.approx(want, rel=1e-12, abs=1e-12), name
                else:
                    assert got[name] == want, (statement["key"], criterion, name)
            for g, group in enumerate(sorted(PANEL)):
                hidden = got["groups"][group] == {"suppressed": True}
                assert hidden != shown[g, k, j], (statement["key"], criterion, group)


def assert_csv_round_trips(
    text: str, panel: list[Panelist], round_: int, known: dict[str, str]
) -> None:
    """Each labelled answer set is one pseudonym's rows; pseudonyms never repeat a round's.

    Only groups shown on every cell are named; when a suppressed group is shown on some
    cell, the suppressed rows carry no pseudonym (``engine.common_groups``).
    """
    by_pseudonym: dict[str, Answers] = defaultdict(lambda: defaultdict(dict))
    group_of: dict[str, str] = {}
    unlinked = 0
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        rating = None if row["cannot_judge"] == "1" else int(row["rating"])
        if row["respondent"] == "":
            assert row["stakeholder_group"] == "suppressed"
            unlinked += 1
            continue
        by_pseudonym[row["respondent"]][row["statement"]][row["criterion"]] = rating
        group_of[row["respondent"]] = row["stakeholder_group"]
    submitted = [p for p in panel if round_ in p.submitted]
    statements = list(submitted[0].answers[round_])
    criteria = list(submitted[0].answers[round_][statements[0]])
    _, matrix = rated_by_group(panel, round_, statements, criteria)
    common = engine.common_groups(matrix, [p.group for p in submitted], min_size=5)
    assert "private-sector" not in common.labelled
    suppressed = [p for p in submitted if p.group not in common.labelled]
    assert unlinked == (0 if common.linkable else len(suppressed) * matrix.shape[1])
    linked = submitted if common.linkable else [p for p in submitted if p not in suppressed]
    assert len(by_pseudonym) == len(linked)
    for p in linked:
        [pseudonym] = [k for k, answers in by_pseudonym.items() if answers == p.answers[round_]]
        assert group_of[pseudonym] == (p.group if p.group in common.labelled else "suppressed")
        assert pseudonym not in known.values(), "a pseudonym links two rounds"
        known[f"{p.email}/{round_}"] = pseudonym


# --- the study -----------------------------------------------------------------------


def answer_round(
    deployment: Any,
    links: dict[str, str],
    panel: list[Panelist],
    study: Study,
    profiles: Profiles,
    round_: int,
) -> list[str]:
    """Every panelist answers; returns the statement keys the round asked."""
    asked: list[str] = []
    for index, p in enumerate(panel):
        # A fresh browser (cookie jar) per panelist.
        with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
            open_link(browser, links[p.email])
            q = study.read(questionnaire(browser))
            asked = list(q.statement_ids)
            if round_ == 1:
                assert not q.feedback
                p.answers[1] = {
                    s: {c: profiles.first(p.group, s, c) for c in study.criteria} for s in asked
                }
            else:
                p.answers[2] = {}
                for s in asked:
                    p.answers[2][s] = {}
                    for c in study.criteria:
                        median, iqr, own = q.feedback[(s, c)]
                        check_feedback(study, panel, s, c, median, iqr, own, p.answers[1][s][c])
                        p.answers[2][s][c] = profiles.revise(
                            p.group, s, c, p.answers[1][s][c], number(median)
                        )
                shown = set(q.reasons_shown)
                assert shown, "round 2 shows some of the panel's reasons"
                assert shown <= {r for other in panel for r in other.reasons[1].values()}
            p.reasons[round_] = {
                s: f"Round {round_}: panelist {index} finds {s} matters for reason {n}."
                for n, s in enumerate(asked)
            }
            if index == 0:
                # A draft first: half the statements saved, shown again on the next visit.
                half = dict(list(p.answers[round_].items())[: len(asked) // 2])
                post(browser, form_data(q, half, {}, "save"), "saved")
                q = study.read(questionnaire(browser))
                first = asked[0]
                field_name = f"r-{q.statement_ids[first]}-{q.criterion_ids['importance']}"
                rating = p.answers[round_][first]["importance"]
                assert q.checked[field_name] == ("cj" if rating is None else str(rating))
            if round_ == 2 and index == len(panel) - 1:
                # The last panelist only saves a draft: drafts are not counted.
                post(browser, form_data(q, p.answers[round_], p.reasons[round_], "save"), "saved")
                continue
            post(browser, form_data(q, p.answers[round_], p.reasons[round_], "submit"), "submitted")
            p.submitted.add(round_)
    return asked


def check_feedback(
    study: Study,
    panel: list[Panelist],
    statement: str,
    criterion: str,
    median: str,
    iqr: str,
    own: str,
    previous: int | None,
) -> None:
    """The round-2 chart shows round 1's median and IQR and this panelist's own rating."""
    summary = expected(study, panel, 1, [statement], criterion)
    assert number(median) == pytest.approx(summary.median[0], abs=0.006)
    q1, q3 = (decimal(v) for v in iqr.rsplit(":", 1)[-1].strip().split("–"))
    assert (q1, q3) == (
        pytest.approx(summary.q1[0], abs=0.006),
        pytest.approx(summary.q3[0], abs=0.006),
    )
    if previous is None:
        assert not own[-1].isdigit()
    else:
        assert re.search(rf"(^|\D){previous}$", own), own


def test_a_two_round_study_end_to_end(deployment, mailbox):
    study = Study.load()
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

    tokens: list[str] = []
    with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as console:
        sign_in(console)
        launch(console, 1)
        links = deliver(deployment, mailbox, panel)
        tokens += [link.rsplit("/", 1)[1] for link in links.values()]
        profiles = Profiles(study, study.statements)
        asked_first = answer_round(deployment, links, panel, study, profiles, 1)
        assert len(asked_first) == 27
        close(console, 1, submitted=30)

        launch(console, 2)
        links = deliver(deployment, mailbox, panel)
        tokens += [link.rsplit("/", 1)[1] for link in links.values()]
        asked_second = answer_round(deployment, links, panel, study, profiles, 2)
        close(console, 2, submitted=29)

    with httpx.Client(
        base_url=deployment.base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=TIMEOUT,
    ) as api:
        rounds = api.get(f"/api/v1/studies/{STUDY}/rounds").json()
        assert [(r["state"], r["invited"], r["submitted"]) for r in rounds] == [
            ("closed", 30, 30),
            ("closed", 30, 29),
        ]
        first = api.get(f"/api/v1/studies/{STUDY}/rounds/1/metrics").json()
        second = api.get(f"/api/v1/studies/{STUDY}/rounds/2/metrics").json()
        assert_metrics_match(first, study, panel, 1)
        assert_metrics_match(second, study, panel, 2)
        outcomes = {s["key"]: s["outcome"] for s in first["statements"]}
        assert {"consensus", "carried"} <= set(outcomes.values())
        assert asked_second == [k for k in asked_first if outcomes[k] == "carried"]
        assert all(s["criteria"]["importance"]["change"] for s in second["statements"])

        pseudonyms: dict[str, str] = {}
        for round_ in (1, 2):
            export = api.get(f"/api/v1/studies/{STUDY}/rounds/{round_}/ratings.csv")
            assert export.status_code == 200
            assert export.headers["content-type"].startswith("text/csv")
            assert_csv_round_trips(export.text, panel, round_, pseudonyms)

    deployment.stop()
    log = deployment.log()
    assert "GET /round" in log, "the access log was captured"
    for token in tokens:
        assert token not in log
        assert all(token not in output for output in deployment.cli_output)
