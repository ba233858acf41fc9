"""Between rounds on real parts: uvicorn, a fresh database, SMTP, the CLI.

Round 0 collects proposals through the emailed links; the facilitator curates them in the
console; round 1 asks the accepted statement, marked as the panel's; a statement is
reworded in the console; round 2 shows the reword notice with both wordings. The API then
gives the lineage and the proposals, and no answer names a respondent.
"""

from __future__ import annotations

import csv
import re

import httpx
import numpy as np
import pytest

from tests.e2e.test_study_e2e import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    STUDY,
    STUDY_FILE,
    TIMEOUT,
    csrf_of,
    open_link,
    parse_html,
    questionnaire,
    sign_in,
)

pytestmark = pytest.mark.e2e

PANEL = [
    (f"between{n:02d}@example.org", f"Between {n:02d}", "ngo" if n % 2 else "member-state", lang)
    for n, lang in enumerate(["en", "fr", "es", "en", "en", "fr", "en", "es", "en", "en"])
]
IDEA = "Airlines train cargo staff to recognise trafficked wildlife products."
COPY = "Airlines train their cargo staff to recognise trafficked wildlife."
SCANNERS = "Ports install scanners that detect ivory in containers."
BAN = "Ban all online sales of live wild animals."
ACCEPTED = {
    "text-en": "Airlines train cargo staff to recognise trafficked wildlife products.",
    "text-fr": "Les compagnies aériennes forment le personnel de fret au trafic d'espèces.",
    "text-es": "Las aerolíneas forman al personal de carga sobre el tráfico de especies.",
    "text-ar": "تدرب شركات الطيران موظفي الشحن على الاتجار بالأحياء البرية.",
    "text-zh": "航空公司培训货运人员识别野生动植物非法贩运。",
    "text-ru": "Авиакомпании обучают грузовой персонал распознавать контрабанду дикой природы.",
}
REWORDED = {
    "text-en": "Every member state names a 24/7 contact point for electronic evidence.",
    "text-fr": "Chaque État Membre désigne un point de contact 24 h/24 pour la preuve numérique.",
    "text-es": "Cada Estado Miembro designa un punto de contacto 24/7 para la prueba digital.",
    "text-ar": "تعيّن كل دولة عضو جهة اتصال على مدار الساعة للأدلة الإلكترونية.",
    "text-zh": "每个会员国为电子证据指定一个全天候联络点。",
    "text-ru": "Каждое государство назначает круглосуточный контакт по цифровым доказательствам.",
}


def deliver(deployment, mailbox) -> dict[str, str]:  # type: ignore[no-untyped-def]
    start = len(mailbox.messages)
    assert f"sent {len(PANEL)}, failed 0" in deployment.cli("mail", "send", "--once")
    pattern = re.compile(re.escape(deployment.base_url) + r"/r/[A-Za-z0-9_\-]+")
    links = {}
    for recipients, message in mailbox.since(start):
        body = message.get_body(preferencelist=("plain",)).get_content()
        [link] = set(pattern.findall(body))
        links[recipients[0]] = link
    assert len(links) == len(PANEL)
    return links


def post_console(console: httpx.Client, page: str, action: str, data: dict[str, str]) -> str:
    """Post a console form from ``page`` and return the page it redirects to."""
    token = csrf_of(parse_html(console.get(page).text))
    response = console.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 303, response.text
    return console.get(response.headers["location"]).text


def answer(browser: httpx.Client, html: str, rng: np.random.Generator, reason: str) -> None:
    """Rate every statement on the page, give a reason on each, submit."""
    page = parse_html(html)
    data = {"csrf_token": csrf_of(page), "action": "submit"}
    scales: dict[str, list[str]] = {}
    for radio in page.find_all("input"):
        name = radio.attrs.get("name", "")
        if name.startswith("r-") and radio.attrs["value"] != "cj":
            scales.setdefault(name, []).append(radio.attrs["value"])
    for name, values in scales.items():
        data[name] = values[int(rng.integers(len(values)))]
    for area in page.find_all("textarea"):
        if area.attrs["name"].startswith("reason-"):
            data[area.attrs["name"]] = reason
    response = browser.post("/round", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_proposals_curation_and_a_reword_end_to_end(deployment, mailbox, tmp_path) -> None:
    panel_csv = tmp_path / "panel.csv"
    with panel_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "stakeholder_group", "language"])
        writer.writerows(PANEL)
    deployment.cli("db", "upgrade")
    deployment.cli("survey", "import", str(STUDY_FILE))
    deployment.cli("panel", "import", STUDY, str(panel_csv))
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
    rng = np.random.default_rng(7)
    study = f"/console/studies/{STUDY}"
    tokens: list[str] = []

    with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as console:
        sign_in(console)
        # Round 0: the panel proposes.
        after = post_console(console, study, f"{study}/rounds", {"proposals_only": "yes"})
        assert f"Round 0 launched: {len(PANEL)} invitations are queued." in after
        links = deliver(deployment, mailbox)
        tokens += [link.rsplit("/", 1)[1] for link in links.values()]
        for n, (email, *_rest) in enumerate(PANEL[:4]):
            with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
                open_link(browser, links[email])
                page = parse_html(questionnaire(browser))
                boxes = [a.attrs["name"] for a in page.find_all("textarea")]
                assert boxes
                assert not page.find_all("fieldset")
                text = [IDEA, COPY, SCANNERS, BAN][n]
                response = browser.post(
                    "/round",
                    data={"csrf_token": csrf_of(page), "action": "submit", boxes[1]: text},
                    follow_redirects=False,
                )
                assert response.headers["location"].endswith("status=proposed")
        token = csrf_of(parse_html(console.get(f"{study}/rounds/0/close").text))
        closed = console.post(f"{study}/rounds/0/close", data={"csrf_token": token})
        assert "4 of 10 panelists submitted" in console.get(closed.headers["location"]).text

        # Curation: the copy is flagged as a near-duplicate and rejected; the idea accepted.
        listing = console.get(f"{study}/proposals").text
        ids = {
            text: int(pid)
            for pid, text in re.findall(
                r'data-proposal="(\d+)" data-state="pending">\s*<h2 class="h3">'
                r'<span lang="[\w-]+"(?: dir="\w+")?>([^<]+)</span>',
                listing,
            )
        }
        assert set(ids) == {IDEA, COPY, SCANNERS, BAN}
        curation = console.get(f"{study}/proposals/{ids[COPY]}").text
        assert "Proposal (pending)" in curation
        assert IDEA in curation
        page = f"{study}/proposals/{ids[IDEA]}"
        topic = re.search(r'<option value="(\d+)" selected>', console.get(page).text)[1]
        after = post_console(console, page, f"{page}/accept", {"topic": topic, **ACCEPTED})
        assert "Accepted as statement wildlife-trafficking-p1" in after
        page = f"{study}/proposals/{ids[COPY]}"
        post_console(console, page, f"{page}/reject", {"reason": "Same as the accepted one."})

        # Round 1 asks the accepted statement, marked as the panel's.
        post_console(console, study, f"{study}/rounds", {})
        links = deliver(deployment, mailbox)
        tokens += [link.rsplit("/", 1)[1] for link in links.values()]
        for n, (email, *_rest) in enumerate(PANEL):
            with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
                open_link(browser, links[email])
                html = questionnaire(browser)
                if n == 0:
                    assert "New this round, proposed by the panel" in html
                    assert ACCEPTED["text-en"] in html
                answer(browser, html, rng, f"Reason {n}: it depends on funding and {n} more.")
        token = csrf_of(parse_html(console.get(f"{study}/rounds/1/close").text))
        console.post(f"{study}/rounds/1/close", data={"csrf_token": token})

        # A carried statement reworded between rounds.
        statements = console.get(f"{study}/statements").text
        [(statement_id, _)] = re.findall(
            r'data-statement="cyber-01" data-version="1">\s*<th scope="row"><a href="[^"]*/'
            r'statements/(\d+)">(cyber-01)</a>',
            statements,
        )
        page = f"{study}/statements/{statement_id}"
        after = post_console(console, page, f"{page}/reword", REWORDED)
        assert "cyber-01 reworded: version 2 joins the next round." in after

        post_console(console, study, f"{study}/rounds", {})
        links = deliver(deployment, mailbox)
        tokens += [link.rsplit("/", 1)[1] for link in links.values()]
        with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
            open_link(browser, links[PANEL[0][0]])
            html = questionnaire(browser)
            assert "Reworded since round 1" in html
            assert REWORDED["text-en"] in html
            assert "Each member state designates a 24/7 point of contact" in html
            assert 'name="persuasive"' in html
        with httpx.Client(base_url=deployment.base_url, timeout=TIMEOUT) as browser:
            open_link(browser, links[PANEL[1][0]])
            html = questionnaire(browser)  # a French page
            assert "Reformulé depuis le tour 1" in html
            assert REWORDED["text-fr"] in html

    with httpx.Client(
        base_url=deployment.base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=TIMEOUT,
    ) as api:
        statements_ = api.get(f"/api/v1/studies/{STUDY}/statements").json()
        versions = {(s["key"], s["version"]): s for s in statements_}
        assert versions[("cyber-01", 2)]["parents"] == [{"key": "cyber-01", "version": 1}]
        assert versions[("cyber-01", 1)]["rounds"][0]["number"] == 1
        assert versions[("wildlife-trafficking-p1", 1)]["origin"] == "proposed"
        states = {
            p["text"]: p["state"] for p in api.get(f"/api/v1/studies/{STUDY}/proposals").json()
        }
        assert states[IDEA] == "accepted"
        assert states[COPY] == "rejected"
        reasons = api.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons")
        assert len(reasons.json()["reasons"]) == len(PANEL) * len(versions_on_round_one(api))
        assert "respondent" not in reasons.text
        export = api.get(f"/api/v1/studies/{STUDY}/rounds/1/reasons.csv").text
        assert "respondent" not in export.splitlines()[0]

    deployment.stop()
    log = deployment.log()
    for token in tokens:
        assert token not in log


def versions_on_round_one(api: httpx.Client) -> list[str]:
    metrics = api.get(f"/api/v1/studies/{STUDY}/rounds/1/metrics").json()
    return [s["key"] for s in metrics["statements"]]
