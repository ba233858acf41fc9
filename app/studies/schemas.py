"""The study file format (YAML), validated at the boundary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.errors import N_, N_plural, Say
from engine.methods import QuantileMethod

# Named so that app.studies.pydantic_messages can say in words what each one asks for.
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
TEXT_PATTERN = r"^[^\x00]*$"

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Language = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=TEXT_PATTERN)]
Translations = dict[Language, Text]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _rule_parses(value: str) -> str:
    from engine import ConsensusRule

    # A preset's name (``core-outcome-70-15``) or an expression.
    ConsensusRule.coerce(value)
    return value


# A consensus rule; a per-entry validator, so an error names the entry's own line.
RuleText = Annotated[str, AfterValidator(_rule_parses)]


class StakeholderGroupIn(Strict):
    key: Key
    label: Translations


class ScaleIn(Strict):
    low: int
    high: int

    @model_validator(mode="after")
    def _two_points(self) -> ScaleIn:
        if self.high <= self.low:
            raise ValueError(
                Say(
                    N_("high (%(high)s) must be greater than low (%(low)s)"),
                    {"high": self.high, "low": self.low},
                )
            )
        if self.high - self.low > 100:
            raise ValueError(Say(N_("a scale may have at most 101 points")))
        return self


class CriterionIn(Strict):
    """A criterion: a rating scale (``kind: rating``, the default) or a ranking question
    (``kind: rank``: the statements of each topic put in order, or with ``top: N`` the N
    a panelist puts first, in order)."""

    key: Key
    kind: Literal["rating", "rank"] = "rating"
    label: Translations
    question: Translations
    scale: ScaleIn | None = None
    top: int | None = Field(default=None, ge=1, le=100)
    anchors: dict[int, Translations] = Field(default_factory=dict)
    agree: tuple[int, int] | None = None
    disagree: tuple[int, int] | None = None
    consensus: RuleText | None = None

    @field_validator("anchors", "agree", "disagree")
    @classmethod
    def _within_scale(cls, value: Any, info: ValidationInfo) -> Any:
        scale = info.data.get("scale")
        if value is None or scale is None:
            return value
        low, high = scale.low, scale.high
        if info.field_name == "anchors":
            outside = [p for p in value if not low <= p <= high]
            if outside:
                raise ValueError(
                    Say(
                        N_("anchor %(point)s is outside the scale %(low)s-%(high)s"),
                        {"point": outside[0], "low": low, "high": high},
                    )
                )
        elif not low <= value[0] <= value[1] <= high:
            raise ValueError(
                Say(
                    N_("%(field)s band %(band)s must lie within the scale %(low)s-%(high)s"),
                    {"field": info.field_name, "band": list(value), "low": low, "high": high},
                )
            )
        return value

    @model_validator(mode="after")
    def _kind_fits(self) -> CriterionIn:
        if self.kind == "rating":
            if self.scale is None:
                raise ValueError(
                    Say(N_("criterion %(key)r needs a scale (or kind: rank)"), {"key": self.key})
                )
            if self.top is not None:
                raise ValueError(
                    Say(N_("criterion %(key)r: top is for kind: rank only"), {"key": self.key})
                )
            return self
        given = [
            name
            for name, value in (
                ("scale", self.scale),
                ("anchors", self.anchors),
                ("agree", self.agree),
                ("disagree", self.disagree),
                ("consensus", self.consensus),
            )
            if value
        ]
        if given:
            raise ValueError(
                Say(
                    N_(
                        "criterion %(key)r is a ranking (kind: rank) and takes no %(field)s: "
                        "positions are not a scale"
                    ),
                    {"key": self.key, "field": given[0]},
                )
            )
        return self

    def bands(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Agree and disagree bands; by default the top and bottom third of the scale."""
        assert self.scale is not None, "a ranking has no bands"
        low, high = self.scale.low, self.scale.high
        third = max(1, (high - low + 1) // 3)
        agree = self.agree or (high - third + 1, high)
        disagree = self.disagree or (low, low + third - 1)
        return agree, disagree


class StatementIn(Strict):
    key: Key
    text: Translations


class TopicIn(Strict):
    key: Key
    title: Translations
    statements: list[StatementIn] = Field(min_length=1)


class MethodIn(Strict):
    quantile_method: QuantileMethod = "weibull"
    cannot_judge_counts: bool = False
    # Further consensus definitions the sensitivity analysis compares with each
    # criterion's own rule: name -> preset name or expression.
    alternative_rules: dict[Key, RuleText] = Field(default_factory=dict)

    @field_validator("alternative_rules")
    @classmethod
    def _own_names(cls, value: dict[str, str]) -> dict[str, str]:
        from engine.consensus import PRESETS

        taken = sorted(n for n in value if n in PRESETS or n == "study")
        if taken:
            raise ValueError(
                Say(
                    N_("%(name)r names a preset; give the alternative another name"),
                    {"name": taken[0]},
                )
            )
        return value


class StoppingIn(Strict):
    max_rounds: int = Field(default=3, ge=1, le=20)
    stability_threshold: float = Field(default=0.15, gt=0, lt=1)


class RemindersIn(Strict):
    """Reminders the worker sends to non-submitters, in days before a round's deadline."""

    days_before: list[Annotated[int, Field(ge=0, le=90)]] = Field(default_factory=list)

    @field_validator("days_before")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        repeated = sorted({d for d in value if value.count(d) > 1})
        if repeated:
            raise ValueError(Say(N_("day %(day)s is listed more than once"), {"day": repeated[0]}))
        return sorted(value, reverse=True)


class FeedbackIn(Strict):
    reasons_per_band: int = Field(default=2, ge=0, le=10)
    # Show panelists last round's figures per stakeholder group (suppressed below k).
    groups: bool = False


class ProposalsIn(Strict):
    in_rounds: bool = False


class RealtimeIn(Strict):
    """Settings of a real-time study (``mode: realtime``)."""

    # Feedback on a statement stays hidden until this many panelists answered it (and
    # never shows below the study's k): a guard against the initial-condition effect.
    feedback_after: int = Field(default=5, ge=1, le=1000)
    # The worker takes a checkpoint this often (none by schedule if unset).
    checkpoint_every_hours: int | None = Field(default=None, ge=1, le=24 * 90)


class SurveyIn(Strict):
    key: Key
    title: Translations
    description: Translations = Field(default_factory=dict)
    # rounds: the classic Delphi; realtime: one open period with feedback after each answer.
    mode: Literal["rounds", "realtime"] = "rounds"
    realtime: RealtimeIn = RealtimeIn()
    languages: list[Language] = Field(min_length=1)
    # A text missing in one of the languages is an import error, unless the study allows
    # showing the default language's wording instead (marked as such on the page).
    translation_fallbacks: bool = False
    stakeholder_groups: list[StakeholderGroupIn] = Field(min_length=1)
    min_group_size: int = Field(default=5, ge=1)
    method: MethodIn = MethodIn()
    criteria: list[CriterionIn] = Field(min_length=1)
    stopping: StoppingIn = StoppingIn()
    reminders: RemindersIn = RemindersIn()
    # Invite to each round those who did not submit the previous one (off: only those who
    # did, and panelists never invited before).
    reinvite_non_responders: bool = True
    feedback: FeedbackIn = FeedbackIn()
    proposals: ProposalsIn = ProposalsIn()
    topics: list[TopicIn] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SurveyIn:
        _unique("stakeholder_groups", [g.key for g in self.stakeholder_groups])
        _unique("criteria", [c.key for c in self.criteria])
        _unique("topics", [t.key for t in self.topics])
        _unique("statements", [s.key for t in self.topics for s in t.statements])
        for c in self.criteria:
            if c.kind == "rank":
                _rankable(c, self.topics)
        _unique("languages", self.languages)
        default = self.languages[0]
        for where, translations in self._texts():
            if default not in translations:
                raise ValueError(
                    Say(
                        N_("%(where)s has no text in the default language %(language)r"),
                        {"where": where, "language": default},
                    )
                )
            extra = set(translations) - set(self.languages)
            if extra:
                raise ValueError(
                    Say(
                        N_plural(
                            "%(where)s has text in %(count)s undeclared language: %(languages)s",
                            "%(where)s has text in %(count)s undeclared languages: %(languages)s",
                        ),
                        {"where": where, "languages": sorted(extra), "count": len(extra)},
                    )
                )
            missing = [language for language in self.languages if language not in translations]
            if missing and not self.translation_fallbacks:
                raise ValueError(_untranslated(where, missing, default))
        return self

    def _texts(self) -> list[tuple[Say, dict[str, str]]]:
        """Each text of the study with what the problem lines call it."""
        texts: list[tuple[Say, dict[str, str]]] = [(Say(N_("title")), self.title)]
        texts += [
            (Say(N_("stakeholder group %(key)r"), {"key": g.key}), g.label)
            for g in self.stakeholder_groups
        ]
        for c in self.criteria:
            texts += [
                (Say(N_("criterion %(key)r label"), {"key": c.key}), c.label),
                (Say(N_("criterion %(key)r"), {"key": c.key}), c.question),
            ]
        for t in self.topics:
            texts.append((Say(N_("topic %(key)r"), {"key": t.key}), t.title))
            texts += [(Say(N_("statement %(key)r"), {"key": s.key}), s.text) for s in t.statements]
        return texts


def _untranslated(where: Say, missing: list[str], default: str) -> Say:
    """The problem of a text lacking languages: one whole sentence per form."""
    if len(missing) == 1:
        return Say(
            N_(
                "%(where)s has no text in %(language)r; translate it, or set "
                "translation_fallbacks: true to show the %(default)r text instead"
            ),
            {"where": where, "language": missing[0], "default": default},
        )
    return Say(
        N_(
            "%(where)s has no text in %(language)r (nor in %(others)s); translate it, or set "
            "translation_fallbacks: true to show the %(default)r text instead"
        ),
        {"where": where, "language": missing[0], "others": missing[1:], "default": default},
    )


def _rankable(criterion: CriterionIn, topics: list[TopicIn]) -> None:
    """A ranking orders the statements of each topic: every topic needs two at least, and
    a top N must leave some unplaced in one topic at least (else it is a full ranking)."""
    for topic in topics:
        if len(topic.statements) < 2:
            raise ValueError(
                Say(
                    N_(
                        "criterion %(key)r ranks the statements of each topic, but topic "
                        "%(topic)r has only one"
                    ),
                    {"key": criterion.key, "topic": topic.key},
                )
            )
    largest = max(len(t.statements) for t in topics)
    if criterion.top is not None and criterion.top >= largest:
        raise ValueError(
            Say(
                N_(
                    "criterion %(key)r: top %(top)s places every statement of every topic "
                    "(the largest has %(largest)s); leave top out for a full ranking"
                ),
                {"key": criterion.key, "top": criterion.top, "largest": largest},
            )
        )


def _unique(field: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(
                Say(N_("%(field)s: duplicate key %(key)r"), {"field": field, "key": key})
            )

        seen.add(key)


def as_plain(model: BaseModel) -> Any:
    """JSON-safe plain data for storage."""
    return model.model_dump(mode="json")
