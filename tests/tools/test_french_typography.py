"""The French spacing rules, and the catalog rewrite that leaves everything else as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from tools.french_typography import NBSP, NNBSP, check, fix, main, typeset


class TestTypeset:
    @pytest.mark.parametrize(
        ("text", "wanted"),
        [
            ("Médiane : 7", f"Médiane{NBSP}: 7"),
            ("Erreur :", f"Erreur{NBSP}:"),
            ("Erreur:", f"Erreur{NBSP}:"),
            ("clos ; réessayez", f"clos{NNBSP}; réessayez"),
            ("Pourquoi ? Parce que !", f"Pourquoi{NNBSP}? Parce que{NNBSP}!"),
            ("Vraiment?", f"Vraiment{NNBSP}?"),
            ("Quoi ?!", f"Quoi{NNBSP}?!"),
            ("« Je ne peux pas juger »", f"«{NBSP}Je ne peux pas juger{NBSP}»"),
            ("«Robuste»", f"«{NBSP}Robuste{NBSP}»"),
            ("%(setting)s : %(problem)s", f"%(setting)s{NBSP}: %(problem)s"),
            ("(<code>engine.stopping</code> : x)", f"(<code>engine.stopping</code>{NBSP}: x)"),
            ("<strong>Rôle</strong> : lecture", f"<strong>Rôle</strong>{NBSP}: lecture"),
            ("%(file)s:%(line)s : contient", f"%(file)s:%(line)s{NBSP}: contient"),
            # a no-break space of the wrong width
            (f"panel{NBSP}; son", f"panel{NNBSP}; son"),
            (f"Note{NNBSP}: 5", f"Note{NBSP}: 5"),
        ],
    )
    def test_french_punctuation_gets_its_no_break_space(self, text: str, wanted: str) -> None:
        assert typeset(text) == wanted
        assert typeset(wanted) == wanted

    @pytest.mark.parametrize(
        "text",
        [
            '<a href="/x?topic=2" title="Aide : ici">lien</a>',
            "<code>Authorization: Bearer &lt;key&gt;</code>",
            "<code>a ; b « c »</code>",
            "p &lt; %(alpha)s",
            "voir https://example.org/a?b=1;c=2 ou http://x.org:8080/",
            "à 10:30, AAAA-MM-JJ HH:MM, 2027-03-01T17:00+01:00",
            "%(file)s:%(line)s",
            "Foo::bar, a :: b",
            ": au début, (: ici",
            "a != b, ?page=2",
            "il manque le ':' après une clé, ou ': ' dans un texte, ou \"!\" en tête",
        ],
    )
    def test_code_markup_and_tokens_are_left_alone(self, text: str) -> None:
        assert typeset(text) == text

    def test_a_literal_the_message_id_quotes_is_kept(self) -> None:
        source = "criterion %(key)r needs a scale (or kind: rank)"
        text = "le critère %(key)r a besoin d’une échelle (ou de kind: rank)"
        assert typeset(text, source) == text
        assert typeset(text) == text.replace("kind: rank", f"kind{NBSP}: rank")

    def test_a_spaced_colon_is_prose_even_where_the_id_has_the_same_words(self) -> None:
        assert typeset("Mode : %(mode)s", "Mode: %(mode)s") == f"Mode{NBSP}: %(mode)s"


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=76)


def _catalog() -> Catalog:
    catalog = Catalog(locale="fr")
    catalog.add("Median: %(median)s", "Médiane : %(median)s", locations=[("a.html", 3)])
    catalog.add(
        ("%(count)s rating; see below", "%(count)s ratings; see below"),
        ("%(count)s note ; voir ci-dessous", "%(count)s notes ; voir", "%(count)s notes ; voir"),
        locations=[("b.py", 7)],
        flags=["python-format"],
    )
    catalog.add("Set kind: rank", "Indiquez kind: rank", locations=[("c.py", 1)])
    return catalog


class TestCatalog:
    def test_only_the_translations_change(self, tmp_path: Path) -> None:
        path = tmp_path / "messages.po"
        _write(path, _catalog())
        before = path.read_text(encoding="utf-8")

        assert fix(path) == ["Median: %(median)s", "%(count)s rating; see below"]

        after = path.read_text(encoding="utf-8")
        assert after != before
        assert after.replace(NBSP, " ").replace(NNBSP, " ") == before
        with path.open("rb") as file:
            fixed = read_po(file)
        assert fixed["Median: %(median)s"].string == f"Médiane{NBSP}: %(median)s"
        assert fixed["%(count)s rating; see below"].string[2] == f"%(count)s notes{NNBSP}; voir"
        assert fixed["Set kind: rank"].string == "Indiquez kind: rank"

    def test_check_names_what_is_wrong_and_changes_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "messages.po"
        _write(path, _catalog())
        before = path.read_bytes()

        assert check(path) == ["Median: %(median)s", "%(count)s rating; see below"]
        assert main(["--check", str(path)]) == 1
        assert path.read_bytes() == before

        assert main([str(path)]) == 0
        assert check(path) == []
        assert main(["--check", str(path)]) == 0
