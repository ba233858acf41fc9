"""Invitation and reminder emails as a panelist reads them, in each study language."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from typing import Any

import pytest
from jinja2 import UndefinedError

from app.mail.render import Composed, compose, render
from app.models import Outbox

LINK = "http://testserver/r/personal-token-abc123"


def context(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Amina Diallo",
        "survey_title": "Crime-prevention <strategies> & priorities",
        "round_number": 1,
        "statements": 27,
        "deadline": "2027-03-01",
        "link": LINK,
    }
    return values | overrides


class TestInvitationCopy:
    @pytest.mark.parametrize("template", ["invitation", "reminder"])
    @pytest.mark.parametrize("language", ["en", "fr", "es", "ar", "zh", "ru"])
    def test_every_part_names_the_study_and_carries_the_link(
        self, template: str, language: str
    ) -> None:
        mail = render(template, language, context())
        assert "Crime-prevention <strategies> & priorities" in mail.subject
        for body in (mail.text, mail.html):
            assert LINK in body
            assert "Amina Diallo" in body
            assert "27" in body

    def test_says_what_it_is_that_answers_are_anonymous_and_the_link_personal(self) -> None:
        text = render("invitation", "en", context()).text
        assert "Delphi study" in text
        assert "anonymous" in text
        assert "never see which panelist gave which rating" in text
        assert "do not forward" in text
        assert "about 27 minutes" in text
        assert "reply to this email" in text

    @pytest.mark.parametrize(
        ("language", "closes"),
        [
            ("en", "The round closes on 1 March 2027 at 11:59\u202fpm UTC."),
            ("fr", "Le tour sera clos le 1er mars 2027 à 23:59 UTC."),
            ("es", "La ronda se cierra el 1 de marzo de 2027 a las 23:59 UTC."),
            ("ar", "تُغلق الجولة في 1 مارس 2027 الساعة 11:59 م بالتوقيت العالمي المنسق."),
            ("zh", "本轮将于 2027年3月1日 23:59（UTC）结束。"),
            ("ru", "Тур закрывается 1 марта 2027\u202fг. в 23:59 UTC."),
        ],
    )
    def test_deadline_is_written_out_in_the_panelists_language(
        self, language: str, closes: str
    ) -> None:
        assert closes in render("invitation", language, context()).text

    def test_no_deadline_sentence_without_a_deadline(self) -> None:
        assert "closes on" not in render("invitation", "en", context(deadline=None)).text

    def test_later_rounds_mention_last_rounds_feedback(self) -> None:
        first = render("invitation", "en", context()).text
        second = render("invitation", "en", context(round_number=2)).text
        assert "how the panel rated each statement last time" in second
        assert "last time" not in first

    @pytest.mark.parametrize(
        ("template", "language", "one", "several"),
        [
            ("invitation", "en", "has 1 statement and takes about 1 minute (", "27 minutes ("),
            ("invitation", "fr", "1 énoncé et prend environ 1 minute (", "27 minutes ("),
            (
                "invitation",
                "es",
                "1 enunciado y le llevará alrededor de 1 minuto (",
                "unos 27 minutos",
            ),
            ("reminder", "en", "has 1 statement, about 1 minute in all.", "27 minutes in all."),
            ("reminder", "fr", "1 énoncé, soit environ 1 minute au total.", "27 minutes au total."),
            ("reminder", "es", "1 enunciado, alrededor de 1 minuto en total.", "unos 27 minutos"),
        ],
    )
    def test_counts_agree_with_their_nouns(
        self, template: str, language: str, one: str, several: str
    ) -> None:
        for count, expected in ((1, one), (27, several)):
            mail = render(template, language, context(statements=count))
            assert expected in mail.text
            assert expected in mail.html

    def test_arabic_mail_reads_right_to_left(self) -> None:
        html = render("invitation", "ar", context()).html
        assert '<html lang="ar" dir="rtl">' in html
        assert '<td dir="rtl"' in html
        assert '<html lang="fr" dir="ltr">' in render("invitation", "fr", context()).html

    def test_a_language_without_a_catalog_falls_back_to_english(self) -> None:
        mail = render("invitation", "de", context())
        assert mail.subject.startswith("Your invitation")
        assert 'lang="en"' in mail.html
        assert mail.language == "en"

    def test_regional_variant_uses_its_base_language(self) -> None:
        assert render("invitation", "fr-CA", context()).subject.startswith("Votre invitation")


class TestEscaping:
    def test_html_part_escapes_the_title_and_the_text_part_does_not(self) -> None:
        mail = render("invitation", "en", context())
        assert "Crime-prevention &lt;strategies&gt; &amp; priorities" in mail.html
        assert "<strategies>" not in mail.html
        assert "Crime-prevention <strategies> & priorities" in mail.text

    def test_a_line_break_in_the_title_does_not_reach_the_subject_header(self) -> None:
        mail = render("invitation", "en", context(survey_title="Two\nlines"))
        assert mail.subject == "Your invitation: round 1 of Two lines"


class TestMissingValues:
    def test_an_invitation_without_its_link_is_refused_rather_than_sent_blank(self) -> None:
        values = context()
        del values["link"]
        with pytest.raises(UndefinedError):
            render("invitation", "en", values)


class TestMessage:
    def test_has_headers_and_both_parts(self) -> None:
        row = Outbox(
            id=7,
            kind="invitation",
            to_address="amina@example.org",
            language="en",
            template="invitation",
            context={k: v for k, v in context().items() if k != "link"},
        )
        composed = compose(row, link=LINK, sender="Delphi panel <panel@delphi.example>")
        assert (composed.sender, composed.recipient) == ("panel@delphi.example", row.to_address)
        assert not composed.international
        assert composed.raw.isascii()
        message = received(composed)
        assert message["To"] == "Amina Diallo <amina@example.org>"
        assert message["From"] == "Delphi panel <panel@delphi.example>"
        assert message["Message-ID"].endswith("@delphi.example>")
        assert message["Date"]
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert plain is not None
        assert html is not None
        assert LINK in plain.get_content()
        assert f'href="{LINK}"' in html.get_content()
        assert message["Content-Language"] == "en"

    def test_content_language_is_the_language_the_copy_is_written_in(self) -> None:
        row = Outbox(
            id=8,
            kind="reminder",
            to_address="amina@example.org",
            language="fr-CA",
            template="reminder",
            context={k: v for k, v in context().items() if k != "link"},
        )
        message = received(compose(row, link=LINK, sender="panel@delphi.example"))
        assert message["Content-Language"] == "fr"
        assert message["Subject"].startswith("Rappel")

    def test_a_name_outside_ascii_and_a_long_subject_are_encoded_and_folded(self) -> None:
        values = {k: v for k, v in context().items() if k != "link"}
        values |= {"name": "Zoë Œuvre-Ñúñez", "survey_title": "Prévention " * 12}
        row = Outbox(
            id=9,
            kind="invitation",
            to_address="zoe@example.org",
            language="fr",
            template="invitation",
            context=values,
        )
        composed = compose(row, link=LINK, sender="Panel Délphi <panel@delphi.example>")
        assert composed.raw.isascii()
        assert max(len(line) for line in composed.raw.split(b"\r\n")) <= 78
        message = received(composed)
        assert message["To"] == "Zoë Œuvre-Ñúñez <zoe@example.org>"
        assert message["From"] == "Panel Délphi <panel@delphi.example>"
        assert ("Prévention " * 12).strip() in message["Subject"]
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        assert "Zoë Œuvre-Ñúñez" in plain.get_content()
        assert LINK in plain.get_content()

    def test_an_address_outside_ascii_is_sent_as_utf8_headers(self) -> None:
        row = Outbox(
            id=10,
            kind="invitation",
            to_address="zoë@exämple.org",
            language="en",
            template="invitation",
            context={k: v for k, v in context().items() if k != "link"},
        )
        composed = compose(row, link=LINK, sender="panel@delphi.example")
        assert composed.international
        message = received(composed)
        assert message["To"].addresses[0].addr_spec == "zoë@exämple.org"


def received(composed: Composed) -> EmailMessage:
    """The message as a receiving mail client reads it."""
    if composed.international:  # RFC 6532 headers are UTF-8 text
        message = Parser(policy=policy.default).parsestr(composed.raw.decode())
    else:
        message = BytesParser(policy=policy.default).parsebytes(composed.raw)
    assert isinstance(message, EmailMessage)
    return message
