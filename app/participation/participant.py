"""Who is answering: the link exchange, the participant behind a session, their language.

A panelist answers as their Respondent (a pseudonym found by HMAC, created on the first
save)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from gettext import NullTranslations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import i18n
from app.models import AccessLink, Panelist, Round, RoundState
from app.models.base import utcnow
from app.models.survey import Translations
from app.panel import respondents
from app.participation import feedback
from app.results import service as results
from app.rounds import links
from app.rounds.plan import RoundPlan, SurveyInfo, plan_of


class Known:
    """Lookups of one request that do not change while it runs: the previous round
    (closed before this one opened) and the panelist's Respondent, once it exists (it is
    never deleted)."""

    def __init__(self) -> None:
        self.previous: tuple[feedback.PreviousRound | None] | None = None
        self.respondent_id: int | None = None


@dataclass(frozen=True)
class Participant:
    """Who is answering which round, as established by their link.

    ``plan`` is the round as launched (shared by every request); the rest is this
    panelist's and the round's current state, read on every request. ``known`` keeps
    what one request has looked up already, so that a submit reads each thing once.
    """

    link_id: int
    panelist_id: int
    panelist_language: str
    stakeholder_group: str
    round_state: RoundState
    deadline: dt.datetime | None
    plan: RoundPlan
    known: Known = field(default_factory=Known, compare=False, repr=False)

    @property
    def survey(self) -> SurveyInfo:
        return self.plan.survey

    @property
    def round_number(self) -> int:
        return self.plan.number

    @property
    def language(self) -> str:
        language = self.panelist_language
        return language if language in self.survey.languages else self.survey.default_language

    @property
    def translations(self) -> NullTranslations:
        """The panelist pages' phrases in this panelist's language."""
        return i18n.translations(self.language)

    @property
    def proposals_only(self) -> bool:
        """Round 0: panelists propose statements, there is nothing to rate."""
        return self.plan.number == 0

    @property
    def proposal_topics(self) -> tuple[int, ...]:
        """The topics this questionnaire offers a "propose a statement" box for."""
        if self.proposals_only:
            return tuple(t.id for t in self.survey.topics)
        if not self.survey.proposals_in_rounds:
            return ()
        asked = {item.topic_id for item in self.plan.items}
        return tuple(t.id for t in self.survey.topics if t.id in asked)

    @property
    def is_open(self) -> bool:
        """Open, and its deadline (if any) not yet passed."""
        return self.round_state == RoundState.OPEN and not is_past(self.deadline)

    def text(self, translations: Translations) -> str:
        return self.survey.text(translations, self.language)

    def text_language(self, translations: Translations) -> str:
        """The language :meth:`text` is shown in: another than the page's is a fallback."""
        return self.survey.text_language(translations, self.language)


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    # SQLite hands back naive datetimes; everything is stored in UTC, and shown in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def is_past(deadline: dt.datetime | None) -> bool:
    return deadline is not None and deadline <= utcnow()


def past_deadline(round_: Round) -> bool:
    """Whether ``round_``'s deadline has passed (the worker closes it within a minute)."""
    return is_past(as_utc(round_.deadline))


def exchange(session: Session, token: str) -> AccessLink | None:
    """The link a token stands for if its round is open, or if it is the panelist's last
    link of a finished study (it opens the results); ``None`` for every other case."""
    link = links.resolve(session, token)
    if link is None:
        return None
    round_ = session.get(Round, link.round_id)
    if round_ is None:
        return None
    if round_.state == RoundState.OPEN and not past_deadline(round_):
        return link
    return link if results.opens_results(session, link, round_) else None


def language_of(session: Session, link: AccessLink) -> str:
    """The language the panelist behind ``link`` reads (for pages shown without a session)."""
    panelist = session.get(Panelist, link.panelist_id)
    return panelist.language if panelist else i18n.SOURCE_LANGUAGE


def choose_language(session: Session, who: Participant, code: str) -> str:
    """Keep ``code`` as the panelist's language (pages and mail); one the study lacks is
    its default language. Returns the language kept."""
    chosen = code if code in who.survey.languages else who.survey.default_language
    panelist = session.get(Panelist, who.panelist_id)
    if panelist is not None and panelist.language != chosen:
        panelist.language = chosen
        session.flush()
    return chosen


# Built once, run on the connection: on every panelist request, building the statement
# and passing it through the ORM cost more than the query.
_PARTICIPANT = (
    select(
        AccessLink.panelist_id,
        Panelist.language,
        Panelist.stakeholder_group,
        Round.id,
        Round.state,
        Round.deadline,
        Round.opened_at,
        Round.number,
    )
    .join(Panelist, Panelist.id == AccessLink.panelist_id)
    .join(Round, Round.id == AccessLink.round_id)
    .where(AccessLink.id == bindparam("link_id"))
)


def participant(session: Session, link_id: object) -> Participant | None:
    """Load the participant behind a session's link id (``None`` if it no longer exists)."""
    if not isinstance(link_id, int):
        return None
    row = session.connection().execute(_PARTICIPANT, {"link_id": link_id}).first()
    if row is None:
        return None
    return Participant(
        link_id=link_id,
        panelist_id=row.panelist_id,
        panelist_language=row.language,
        stakeholder_group=row.stakeholder_group,
        round_state=row.state,
        deadline=as_utc(row.deadline),
        plan=plan_of(session, row.id, row.opened_at, row.number),
    )


def previous_round(session: Session, who: Participant) -> feedback.PreviousRound | None:
    """The previous round with a snapshot (``None`` in round 1), read once a request."""
    if who.known.previous is None:
        who.known.previous = (feedback.previous_round(session, who.plan),)
    return who.known.previous[0]


def find_respondent_id(session: Session, who: Participant) -> int | None:
    if who.known.respondent_id is None:
        who.known.respondent_id = respondents.find_id(session, who.survey.id, who.panelist_id)
    return who.known.respondent_id


def respondent_id_or_new(session: Session, who: Participant) -> int:
    if who.known.respondent_id is None:
        who.known.respondent_id = respondents.find_or_create_id(
            session, who.survey.id, who.panelist_id, who.stakeholder_group
        )
    return who.known.respondent_id
