"""The demo: a seeded study through the whole cycle between rounds.

Round 0 collects the panel's proposals, which a facilitator curates (accepted, merged,
rejected, some left pending); rounds 1 and 2 are answered with reasons in the panelists'
languages (one reason hidden by moderation, some marked persuasive in the round after),
statements are reworded, split and dropped between rounds, and round 3 is open with
the reword notices and the panel's new statements. Beside it, a finished two-round pilot
of the same study (its plan amended once) has a final report to open. Every answer goes
through the panelists' own service, as a browser's post would.

A second study runs in real time: most of the panel answered some statements and ranked
each topic's strategies, some revised after seeing the panel's feedback, one checkpoint
is taken, and it stays open.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers.sheet import AnswerSheet
from app.config import get_settings
from app.db import unit_of_work
from app.models import (
    AccessLink,
    ApiKey,
    Facilitator,
    HiddenCause,
    Panelist,
    ProposalState,
    Reason,
    Role,
    Round,
    RoundState,
    Statement,
    StatementOrigin,
    Survey,
)
from app.panel.service import PanelRow, import_rows, list_for
from app.participation import service as participation
from app.proposals import service as proposal_store
from app.rankings import form as ranking_form
from app.reasons import service as reason_store
from app.rounds import links, repository
from app.rounds import service as rounds
from app.schedule.plan import as_utc
from app.security import hash_password
from app.statements import service as statement_store
from app.studies import service as studies
from app.team import service as team

STUDY_FILE = "surveys/crime-prevention-strategy.yaml"
STUDY_KEY = "crime-prevention-2027"
# A finished pilot of the same study, so the demo has a final report to open.
PILOT_KEY = "crime-prevention-pilot"
PILOT_PANEL = 30
# The real-time study (its file leaves the spot where a ranking criterion joins).
LIVE_STUDY_FILE = "surveys/crime-prevention-realtime.yaml"
LIVE_STUDY_KEY = "crime-prevention-realtime"
FACILITATOR_EMAIL = "facilitator@example.org"
PANEL_SIZE = 40
RESPONSE_RATE = 0.9
SEED = 2027

FIRST_NAMES = [
    "Amina",
    "Bruno",
    "Chen",
    "Dalia",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucia",
    "Mehdi",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tanvi",
]
LAST_NAMES = [
    "Abebe",
    "Bianchi",
    "Castro",
    "Diallo",
    "Eriksen",
    "Fofana",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kamau",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Petrov",
]
REASONS_HIGH = [
    "Evidence from our region shows this works when it is properly funded.",
    "This is already a gap that practitioners raise in every regional meeting.",
    "Low cost compared to the harm it prevents.",
]
REASONS_LOW = [
    "Useful in principle, but few states have the institutional capacity for it.",
    "The human-rights risks are not addressed in this wording.",
    "Other measures would give more prevention per dollar.",
]
# Reasons panelists reading the pages in another language than English write.
REASONS_OTHER = {
    "fr": [
        "Les moyens manquent dans la plupart des pays pour appliquer cette mesure.",
        "Cette stratégie a fait ses preuves dans notre région.",
    ],
    "es": [
        "Faltan recursos en la mayoría de los países para aplicarla.",
        "Esta estrategia ya ha dado resultados en nuestra región.",
    ],
    "ar": [
        "تفتقر معظم البلدان إلى الموارد اللازمة لتطبيق هذا التدبير.",
        "أثبتت هذه الاستراتيجية نجاحها في منطقتنا.",
    ],
    "zh": [
        "大多数国家缺乏实施这项措施的资源。",
        "这项战略已在我们地区取得成效。",
    ],
    "ru": [
        "В большинстве стран не хватает ресурсов для применения этой меры.",
        "Эта стратегия уже доказала свою эффективность в нашем регионе.",
    ],
}
# Round 0: what the panel proposes, per topic key (some say the same thing twice).
PROPOSALS = {
    "cybercrime": [
        ("en", "Member states publish an annual report on ransomware incidents and responses."),
        ("en", "Every member state publishes a yearly report on ransomware incidents."),
        ("fr", "Créer un réseau régional de laboratoires de criminalistique numérique."),
        ("en", "Schools teach online safety from the age of ten."),
    ],
    "wildlife-trafficking": [
        ("en", "Airlines train cargo staff to recognise trafficked wildlife products."),
        ("es", "Los puertos instalan escáneres para detectar marfil en contenedores."),
        ("en", "Ban all online sales of live wild animals."),
    ],
    "violent-extremism": [
        ("en", "Fund community-led programmes that reintegrate returning foreign fighters."),
        ("en", "Prison staff receive training on recognising radicalisation."),
    ],
}
# Translations a facilitator gives when accepting a proposal or rewording a statement.
ACCEPTED = {
    "Airlines train cargo staff to recognise trafficked wildlife products.": {
        "en": "Airlines train their cargo staff to recognise trafficked wildlife products.",
        "fr": "Les compagnies aériennes forment leur personnel de fret à reconnaître les "
        "produits issus du trafic d'espèces sauvages.",
        "es": "Las aerolíneas forman a su personal de carga para reconocer productos de fauna "
        "y flora silvestres objeto de tráfico.",
        "ar": "تدرّب شركات الطيران موظفي الشحن لديها على التعرف على منتجات الأحياء البرية "
        "المتاجر بها.",
        "zh": "航空公司培训其货运人员识别被贩运的野生动植物产品。",
        "ru": "Авиакомпании обучают своих сотрудников грузовых служб распознавать продукцию "
        "незаконного оборота объектов дикой природы.",
    },
    "Prison staff receive training on recognising radicalisation.": {
        "en": "Prison staff in every member state receive training on recognising "
        "radicalisation to violence.",
        "fr": "Dans chaque État Membre, le personnel pénitentiaire est formé à reconnaître "
        "la radicalisation menant à la violence.",
        "es": "En cada Estado Miembro, el personal penitenciario recibe formación para "
        "reconocer la radicalización hacia la violencia.",
        "ar": "يتلقى موظفو السجون في كل دولة عضو تدريبًا على التعرف على التطرف المفضي إلى العنف.",
        "zh": "每个会员国的监狱工作人员接受识别导致暴力的激进化的培训。",
        "ru": "Сотрудники пенитенциарных учреждений в каждом государстве-члене проходят "
        "обучение распознаванию радикализации, ведущей к насилию.",
    },
    "Member states share anonymised data on what works.": {
        "en": "Member states share anonymised data on which prevention measures work.",
        "fr": "Les États Membres partagent des données anonymisées sur les mesures de "
        "prévention qui fonctionnent.",
        "es": "Los Estados Miembros comparten datos anonimizados sobre las medidas de "
        "prevención que funcionan.",
        "ar": "تتبادل الدول الأعضاء بيانات مجهولة المصدر بشأن تدابير الوقاية الناجعة.",
        "zh": "会员国共享关于哪些预防措施有效的匿名数据。",
        "ru": "Государства-члены обмениваются анонимизированными данными о том, какие меры "
        "профилактики работают.",
    },
}
# What a reword or a split adds to a statement, per language.
REWORD_NOTE = {
    "en": "within three years",
    "fr": "d'ici trois ans",
    "es": "en un plazo de tres años",
    "ar": "في غضون ثلاث سنوات",
    "zh": "三年内",
    "ru": "в течение трёх лет",
}
SPLIT_NOTES = (
    {
        "en": "at national level",
        "fr": "au niveau national",
        "es": "a nivel nacional",
        "ar": "على المستوى الوطني",
        "zh": "在国家层面",
        "ru": "на национальном уровне",
    },
    {
        "en": "at regional level",
        "fr": "au niveau régional",
        "es": "a nivel regional",
        "ar": "على المستوى الإقليمي",
        "zh": "在区域层面",
        "ru": "на региональном уровне",
    },
)


@dataclass(frozen=True)
class DemoAccess:
    facilitator_password: str
    api_key: str
    panelist_links: list[tuple[str, str]]
    rounds: list[str]  # one line per round, as the database has it now
    open_round: int | None
    replaced: bool  # an earlier run's password and key were replaced
    live_links: list[tuple[str, str]]  # links to the real-time study
    live: str  # the real-time study as it is now


def run(port: int = 8000, *, worker_beside: bool = False) -> DemoAccess:
    """Migrate, seed (once) and print how to get in. Safe to run again.

    ``worker_beside`` says the caller starts ``delphi worker`` next to the server, which
    changes what is printed about the queued mail.
    """
    from alembic import command

    from app.paths import alembic_config

    command.upgrade(alembic_config(), "head")
    with unit_of_work() as session:
        fresh = studies.get_by_key(session, STUDY_KEY) is None
        if fresh:
            _open_round_zero(session)
        if studies.get_by_key(session, PILOT_KEY) is None:
            _pilot(session, np.random.default_rng(SEED + 1))
    if fresh:
        rng = np.random.default_rng(SEED)
        # The worker uses its own connections, so each round must be committed first.
        for step in (_round_zero, _round_one, _round_two):
            _deliver_quietly()
            with unit_of_work() as session:
                step(session, studies.get_by_key_or_raise(session, STUDY_KEY), rng)
    with unit_of_work() as session:
        live_fresh = studies.get_by_key(session, LIVE_STUDY_KEY) is None
        if live_fresh:
            _open_live_study(session)
    if live_fresh:
        _deliver_quietly()
        _live_answers(np.random.default_rng(SEED + 1))
    with unit_of_work() as session:
        access = _access(session, studies.get_by_key_or_raise(session, STUDY_KEY), fresh)
    _print(access, port, worker_beside=worker_beside)
    return access


def _open_round_zero(session: Session) -> None:
    from pathlib import Path

    from app.paths import ROOT

    survey = studies.import_file(session, Path(ROOT) / STUDY_FILE, actor="demo")
    import_rows(session, survey, _panel_rows(survey), actor="demo")
    rounds.launch(session, survey, actor="demo", proposals_only=True)


def _open_live_study(session: Session) -> None:
    from pathlib import Path

    from app.paths import ROOT

    survey = studies.import_file(session, Path(ROOT) / LIVE_STUDY_FILE, actor="demo")
    import_rows(session, survey, _panel_rows(survey), actor="demo")
    rounds.launch(session, survey, actor="demo")


def _live_answers(rng: np.random.Generator) -> None:
    """Most of the panel answers a few statements each, in turns; a third of them come
    back and revise toward the feedback they now see; then a checkpoint is taken."""
    from app.db import Transactions
    from app.participation.schemas import Posted
    from app.realtime import checkpoints
    from app.realtime import service as realtime

    with unit_of_work() as session:
        survey = studies.get_by_key_or_raise(session, LIVE_STUDY_KEY)
        survey_id = survey.id
        live = checkpoints.live_round(session, survey)
        panel = [p.id for p in list_for(session, survey)]
        statement_ids = [item.statement_id for item in live.items]
        criteria = [(c.id, c.scale_low, c.scale_high) for c in survey.criteria]
        live_id = live.id
    centre = rng.uniform(0.4, 0.95, size=len(statement_ids))
    visits = [p for p in panel if rng.random() < RESPONSE_RATE] * 2
    for turn, panelist_id in enumerate(visits):
        with unit_of_work() as session:
            round_ = session.get_one(Round, live_id)
            who = _participant(session, round_, session.get_one(Panelist, panelist_id))
            seen = realtime.in_view(session, who)
            shown = sorted({sid for sid, _ in seen})
            revising = turn >= len(visits) // 2
            if revising and (not shown or rng.random() > 0.35):
                continue
            chosen = shown if revising else rng.choice(statement_ids, 6, replace=False)
            sheet = AnswerSheet()
            if not revising:  # ranked on the first visit, as the ratings suggest
                _rank(who, sheet, dict(zip(statement_ids, centre, strict=True)), rng)
            for sid in chosen:
                j = statement_ids.index(int(sid))
                for cid, low, high in criteria:
                    level = centre[j] + rng.normal(0, 0.15 if revising else 0.25)
                    rating = int(np.clip(np.rint(low + (high - low) * level), low, high))
                    sheet.ratings[(int(sid), cid)] = rating
                if rng.random() < 0.3:
                    sheet.reasons[int(sid)] = _a_reason(who.language, float(centre[j]), rng)
            posted = Posted(action="submit", answers=sheet)
            outcome = realtime.answer(session, who, posted, seen, set())
            assert outcome.status == "submitted", outcome.errors
    checkpoints.take(Transactions(), survey_id, actor="demo")


def _panel_rows(survey: Survey) -> list[PanelRow]:
    groups = [g["key"] for g in survey.stakeholder_groups]
    return [
        PanelRow(
            email=f"panelist{i + 1:02d}@example.org",
            name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
            stakeholder_group=groups[i % len(groups)],
            # Every fourth panelist reads another language, each of the study's in turn.
            language=survey.languages[(i // 4) % len(survey.languages)] if i % 4 == 3 else "en",
        )
        for i in range(PANEL_SIZE)
    ]


def _pilot(session: Session, rng: np.random.Generator) -> None:
    """A pilot of the study in two rounds, its plan amended once, finished."""
    from pathlib import Path

    from app.analysis import plan
    from app.paths import ROOT

    text = (Path(ROOT) / STUDY_FILE).read_text(encoding="utf-8")
    parsed = studies.parse(text, STUDY_FILE)
    title = {lang: f"Pilot: {value}" for lang, value in parsed.title.items()}
    survey = studies.create(
        session, parsed.model_copy(update={"key": PILOT_KEY, "title": title}), text, actor="demo"
    )
    groups = [g["key"] for g in survey.stakeholder_groups]
    rows = [
        PanelRow(
            email=f"pilot{i + 1:02d}@example.org",
            name=f"{FIRST_NAMES[(i + 3) % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
            stakeholder_group=groups[i % len(groups)],
            language="en",
        )
        for i in range(PILOT_PANEL)
    ]
    import_rows(session, survey, rows, actor="demo")
    for number in (1, 2):
        round_ = rounds.launch(session, survey, actor="demo")
        _simulate(session, survey, round_, rng)
        rounds.close(session, survey, round_, actor="demo")
        if number == 1:
            plan.amend(
                session,
                survey,
                [plan.Setting("stability_threshold", "0.2")],
                reason="The pilot's panel is small: a net change of 15% is a handful of people.",
                actor=FACILITATOR_EMAIL,
            )
    # Closing cancelled the rounds' unsent invitations: the pilot leaves no mail behind.
    rounds.finish(session, survey, actor="demo")


def _round_zero(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 0 answered with proposals, closed and curated; round 1 launched."""
    round_0 = rounds.get_or_raise(session, survey, 0)
    topics = {t.key: t for t in survey.topics}
    panel = list_for(session, survey)
    offered = [(key, lang, text) for key, items in PROPOSALS.items() for lang, text in items]
    for n, (key, language, text) in enumerate(offered):
        panelist = next(p for p in panel[n:] if p.language == language)
        who = _participant(session, round_0, panelist)
        participation.submit(session, who, AnswerSheet(proposals={topics[key].id: text}))
    rounds.close(session, survey, round_0, actor="demo")
    pending = {p.text: p for p in proposal_store.list_for(session, survey)}
    for text, translated in ACCEPTED.items():
        proposal = pending.get(text)
        if proposal is None:  # proposed in a later round
            continue
        topic = next(t for t in survey.topics if t.id == proposal.topic_id)
        proposal_store.accept(session, survey, proposal, translated, topic, actor="demo")
    duplicate = pending["Every member state publishes a yearly report on ransomware incidents."]
    proposal_store.reject(
        session,
        survey,
        duplicate,
        "Says the same as the proposal on annual ransomware reports, which stays pending.",
        actor="demo",
    )
    target = next(s for s in survey.statements if s.key == "cyber-02")
    proposal_store.merge(
        session,
        survey,
        pending["Créer un réseau régional de laboratoires de criminalistique numérique."],
        target,
        None,
        actor="demo",
    )
    rounds.launch(session, survey, actor="demo")


def _round_one(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 1 answered with reasons and closed; a reason hidden; statements reworded,
    split and dropped; round 2 launched."""
    round_1 = rounds.get_or_raise(session, survey, 1)
    _simulate(session, survey, round_1, rng)
    rounds.close(session, survey, round_1, actor="demo")
    first = reason_store.round_reasons(session, survey, round_1)[0]
    reason_store.hide(
        session,
        survey,
        round_1,
        session.get_one(Reason, first.id),
        HiddenCause.PERSONAL_DATA,
        actor="demo",
    )
    active = {s.key: s for s in statement_store.for_next_round(session, survey)}
    carried = [s for s in active.values() if s.origin == StatementOrigin.SEEDED]
    if carried:
        _reword(session, survey, carried[0])
    if len(carried) > 2:
        whole = carried[1].text
        statement_store.split(
            session,
            survey,
            carried[1],
            [
                {lang: f"{text.rstrip('.')} ({note[lang]})." for lang, text in whole.items()}
                for note in SPLIT_NOTES
            ],
            actor="demo",
        )
        statement_store.drop(
            session,
            survey,
            carried[2],
            "Overlaps with a statement the panel already agreed on.",
            actor="demo",
        )
    rounds.launch(session, survey, actor="demo")


def _round_two(session: Session, survey: Survey, rng: np.random.Generator) -> None:
    """Round 2 answered (reasons marked persuasive) and closed; a proposal from it
    accepted and a statement reworded; round 3, the last, launched."""
    round_2 = rounds.get_or_raise(session, survey, 2)
    _simulate(session, survey, round_2, rng)
    rounds.close(session, survey, round_2, actor="demo")
    for proposal in proposal_store.list_for(session, survey, ProposalState.PENDING):
        if proposal.round_id == round_2.id:
            topic = next(t for t in survey.topics if t.id == proposal.topic_id)
            text = ACCEPTED[proposal.text]
            proposal_store.accept(session, survey, proposal, text, topic, actor="demo")
            break
    carried = [
        s
        for s in statement_store.for_next_round(session, survey)
        if s.origin == StatementOrigin.SEEDED
    ]
    if carried:
        _reword(session, survey, carried[0])
    rounds.launch(session, survey, actor="demo")


def _reword(session: Session, survey: Survey, statement: Statement) -> None:
    """A clearer wording, in every language of the study."""
    text = {
        lang: f"{value.rstrip('.')} ({REWORD_NOTE[lang]})."
        for lang, value in statement.text.items()
    }
    statement_store.reword(session, survey, statement, text, actor="demo")


def _deliver_quietly() -> None:
    """Earlier rounds' invitations are written to the mail folder; their links are not printed."""
    from app.mail import worker

    with contextlib.redirect_stdout(io.StringIO()):
        worker.send_due()


def _participant(session: Session, round_: Round, panelist: Panelist) -> participation.Participant:
    """The panelist as their link makes them known to the questionnaire."""
    link_id = session.scalar(
        select(AccessLink.id)
        .where(AccessLink.round_id == round_.id, AccessLink.panelist_id == panelist.id)
        .limit(1)
    )
    who = participation.participant(session, link_id)
    assert who is not None
    return who


def _simulate(session: Session, survey: Survey, round_: Round, rng: np.random.Generator) -> None:
    """Answer ``round_`` for most of the panel with group-specific opinion profiles.

    Panelists give reasons in their own language, mark some of the reasons they are
    shown as persuasive and then move towards them, propose a statement now and then,
    and always explain a rating outside last round's middle range.
    """
    statements = [item.statement for item in round_.items]
    groups = [g["key"] for g in survey.stakeholder_groups]
    # Each statement gets a panel-wide centre; a few are contested between groups.
    centre = rng.uniform(0.45, 0.95, size=len(statements))
    contested = rng.random(len(statements)) < 0.3
    tilt = {g: rng.normal(0, 0.25, size=len(statements)) * contested for g in groups}
    for panelist in list_for(session, survey):
        if rng.random() > RESPONSE_RATE:
            continue
        who = _participant(session, round_, panelist)
        sheet = AnswerSheet()
        shown = sorted(participation.shown_reasons(session, who))
        sheet.persuasive = {r for r in shown if rng.random() < 0.3}
        for j, statement in enumerate(statements):
            level = np.clip(centre[j] + tilt[panelist.stakeholder_group][j], 0, 1)
            first_rating = None
            for criterion in survey.criteria:
                cannot_judge = bool(rng.random() < 0.03)
                span = criterion.scale_high - criterion.scale_low
                rating = int(
                    np.clip(
                        np.rint(criterion.scale_low + span * level + rng.normal(0, span * 0.15)),
                        criterion.scale_low,
                        criterion.scale_high,
                    )
                )
                if first_rating is None:
                    first_rating = None if cannot_judge else rating
                sheet.ratings[(statement.id, criterion.id)] = None if cannot_judge else rating
            if first_rating is not None and rng.random() < 0.3:
                sheet.reasons[statement.id] = _a_reason(panelist.language, level, rng)
        levels = centre + tilt[panelist.stakeholder_group]
        _rank(who, sheet, {s.id: levels[j] for j, s in enumerate(statements)}, rng)
        if rng.random() < 0.1 and who.proposal_topics:
            topic = who.proposal_topics[int(rng.integers(len(who.proposal_topics)))]
            sheet.proposals[topic] = "Member states share anonymised data on what works."
        needed = participation.problems(session, who, sheet)
        for field_name in needed:
            if field_name.startswith("reason-"):
                sid = int(field_name.removeprefix("reason-"))
                sheet.reasons[sid] = _a_reason(panelist.language, 0.3, rng)
        assert not participation.submit(session, who, sheet)
    session.flush()


def _rank(
    who: participation.Participant,
    sheet: AnswerSheet,
    level: dict[int, float],
    rng: np.random.Generator,
) -> None:
    """Each ranking question: the statements this panelist rates highest (with some noise)
    take the positions 1..N; a few panelists leave a topic unranked."""
    for group in ranking_form.groups(who.plan):
        if rng.random() < 0.05:
            continue
        ids = [item.statement_id for item in group.items]
        noisy = np.array([level[sid] for sid in ids]) + rng.normal(0, 0.15, size=len(ids))
        for position, k in enumerate(np.argsort(-noisy)[: group.places], start=1):
            sheet.ratings[(ids[k], group.criterion.id)] = position


def _a_reason(language: str, level: float, rng: np.random.Generator) -> str:
    if language in REASONS_OTHER:
        pool = REASONS_OTHER[language]
    else:
        pool = REASONS_HIGH if level >= 0.6 else REASONS_LOW
    return pool[int(rng.integers(len(pool)))]


def _access(session: Session, survey: Survey, fresh: bool) -> DemoAccess:
    """Fresh credentials each run: passwords and keys are stored only hashed."""
    password = secrets.token_urlsafe(12)
    facilitator = session.scalar(select(Facilitator).where(Facilitator.email == FACILITATOR_EMAIL))
    replaced = facilitator is not None
    if facilitator is None:
        facilitator = Facilitator(
            email=FACILITATOR_EMAIL,
            name="Demo facilitator",
            password_hash=hash_password(password),
        )
        session.add(facilitator)
        session.flush()
    else:
        facilitator.password_hash = hash_password(password)
    if team.role_of(session, survey.id, facilitator) is None:
        team.add(session, survey, facilitator, Role.OWNER, actor="demo")
    from app.api import keys

    for old in session.scalars(select(ApiKey).where(ApiKey.name == "demo")):
        session.delete(old)
    session.flush()
    api_key = keys.create(session, name="demo")
    open_round = repository.open_round(session, survey)
    sample: list[tuple[str, str]] = []
    if open_round is not None:
        invited = links.invited(session, open_round)[:3]
        sample = [(str(p.email), links.mint(session, open_round, p)) for p in invited]
    live_study = studies.get_by_key_or_raise(session, LIVE_STUDY_KEY)
    live_round = repository.open_round(session, live_study)
    live_links: list[tuple[str, str]] = []
    live = "closed"
    if live_round is not None:
        invited = links.invited(session, live_round)[:3]
        live_links = [(str(p.email), links.mint(session, live_round, p)) for p in invited]
        taken = len(repository.rounds_of(session, live_study)) - 1
        st = rounds.status(session, live_round)
        live = f"open, {st.submitted} of {st.invited} have answered, {taken} checkpoint(s)"
    return DemoAccess(
        facilitator_password=password,
        api_key=api_key,
        panelist_links=sample,
        rounds=[_describe(session, r) for r in repository.rounds_of(session, survey)],
        open_round=open_round.number if open_round else None,
        replaced=replaced and not fresh,
        live_links=live_links,
        live=live,
    )


def _describe(session: Session, round_: Round) -> str:
    """``round 2: open, 12 of 40 submitted, closes 2027-03-01 23:59 UTC`` as it is now."""
    st = rounds.status(session, round_)
    line = f"round {round_.number}: {round_.state.value}, {st.submitted} of {st.invited} submitted"
    if round_.deadline is not None:
        verb = "closes" if round_.state == RoundState.OPEN else "deadline"
        line += f", {verb} {as_utc(round_.deadline):%Y-%m-%d %H:%M} UTC"
    return line


def _print(access: DemoAccess, port: int, *, worker_beside: bool) -> None:
    base = get_settings().base_url.rstrip("/")
    mail_dir = get_settings().mail_dir
    lines = [
        "",
        "Delphi demo is ready: 'Crime-prevention strategy'.",
        *(f"  {line}" for line in access.rounds),
        f"  Serving on        {base}   (port {port})",
        f"  Console           {base}/console/login",
        f"    email           {FACILITATOR_EMAIL}",
        f"    password        {access.facilitator_password}",
    ]
    if access.open_round is not None:
        lines += [
            f"  Panelist links for round {access.open_round} (each is personal, "
            "like the emailed ones):",
            *(f"    {email:<28} {link}" for email, link in access.panelist_links),
        ]
    else:
        lines.append("  No round is open: launch the next one from the console.")
    lines += [
        f"  Final report of the finished pilot study: {base}/console/studies/{PILOT_KEY}/report",
        "",
        f"Real-time study '{LIVE_STUDY_KEY}': {access.live}.",
        "  Panelist links (feedback on a statement appears once you and 5 others answered it):",
        *(f"    {email:<28} {link}" for email, link in access.live_links),
        f"  Checkpoints and the initial-condition guard: {base}/console/studies/"
        f"{LIVE_STUDY_KEY}/live",
        "",
        f"  Analyst API key   {access.api_key}",
        f"    try: curl -H 'Authorization: Bearer {access.api_key}' {base}/api/v1/studies",
        f"  API reference     {base}/docs  and  {base}/redoc",
    ]
    if worker_beside:
        lines.append(
            f"  The worker runs beside the server: queued mail is written to {mail_dir}/ "
            "and each link printed below."
        )
    else:
        lines.append(
            f"  Queued mail waits in the outbox: `.venv/bin/delphi worker` writes it to "
            f"{mail_dir}/ and prints every link."
        )
    if access.replaced:
        lines += [
            "",
            "  Note: this run replaced the demo facilitator's password and the 'demo' API key;",
            "  the ones printed by an earlier run no longer work.",
        ]
    lines.append("")
    print("\n".join(lines))  # noqa: T201 - the demo's whole point is to show these
