"""A study file that is not valid YAML, explained in the reader's language."""

from __future__ import annotations

import pytest
import yaml

from app import i18n
from app.errors import Invalid, Say
from app.studies import service
from app.studies.yaml_messages import line, said
from tests.app.conftest import spaced

# One file of each common kind of mistake: what it says in English, then in French.
BROKEN: list[tuple[str, str, str]] = [
    (
        "key: pilot\ntitle: Pilot: a study\n",
        "study.yaml:2: not valid YAML: ': ' is not allowed here: put a text that holds ': ' in "
        "quotes, or check the indentation",
        "study.yaml:2 : YAML non valide : ': ' n’est pas permis ici : mettez entre guillemets un "
        "texte qui contient ': ', ou vérifiez l’indentation",
    ),
    (
        "key: pilot\ntitle\nlanguages: [en]\n",
        "study.yaml:3: not valid YAML: the ':' after a key is missing (in the key on line 2)",
        "study.yaml:3 : YAML non valide : il manque le ':' après une clé (dans la clé de la "
        "ligne 2)",
    ),
    (
        "key: pilot\n\ttitle: Pilot\n",
        "study.yaml:2: not valid YAML: a tab character: indent with spaces, not tabs",
        "study.yaml:2 : YAML non valide : un caractère de tabulation : indentez avec des espaces, "
        "pas des tabulations",
    ),
    (
        "key: pilot\ntitle: *name\n",
        "study.yaml:2: not valid YAML: the alias *name refers to no anchor &name before it",
        "study.yaml:2 : YAML non valide : l’alias *name ne renvoie à aucune ancre &name définie "
        "avant lui",
    ),
    (
        "key: pilot\nlanguages: en\n- fr\n",
        "study.yaml:3: not valid YAML: did not expect '-' here: is this line indented like the "
        "lines above it? (in the mapping begun on line 1)",
        "study.yaml:3 : YAML non valide : élément inattendu ici ('-') : cette ligne est-elle "
        "indentée comme celles du dessus ? (dans la table commencée à la ligne 1)",
    ),
    (
        "key: pilot\ntopics:\n  - key: a\n b: c\n",
        "study.yaml:4: not valid YAML: did not expect a key here: is this line indented like the "
        "lines above it? (in the mapping begun on line 1)",
        "study.yaml:4 : YAML non valide : élément inattendu ici (une clé) : cette ligne est-elle "
        "indentée comme celles du dessus ? (dans la table commencée à la ligne 1)",
    ),
    (
        'key: pilot\ntitle: {en: "Pilot}\nlanguages: [en]\n',
        "study.yaml:4: not valid YAML: the file ends before the closing quotation mark (in the "
        "quoted text begun on line 2)",
        "study.yaml:4 : YAML non valide : le fichier se termine avant le guillemet fermant (dans "
        "le texte entre guillemets commencé à la ligne 2)",
    ),
    (
        "key: pilot\nlanguages: [en, fr\ntitle: Pilot\n",
        "study.yaml:3: not valid YAML: expected ',' or ']', but found ':': is the closing ']' "
        "missing? (in the list in brackets [ ] begun on line 2)",
        "study.yaml:3 : YAML non valide : au lieu de ',' ou ']', on trouve ':' : manque-t-il le "
        "']' fermant ? (dans la liste entre crochets [ ] commencée à la ligne 2)",
    ),
    (
        "key: pilot\ntitle: {en: Pilot\n",
        "study.yaml:3: not valid YAML: expected ',' or '}', but found the end of the file: is the "
        "closing '}' missing? (in the mapping in braces { } begun on line 2)",
        "study.yaml:3 : YAML non valide : au lieu de ',' ou '}', on trouve la fin du fichier : "
        "manque-t-il l’accolade '}' fermante ? (dans la table entre accolades { } commencée à la "
        "ligne 2)",
    ),
    (
        "key: pilot\n---\nkey: other\n",
        "study.yaml:2: not valid YAML: a second document begins here ('---'): a study file holds "
        "only one",
        "study.yaml:2 : YAML non valide : un deuxième document commence ici ('---') : un fichier "
        "d’étude n’en contient qu’un",
    ),
    (
        "key: pilot\ntitle: !python/object Pilot\n",
        "study.yaml:2: not valid YAML: the tag '!python/object' is not supported: remove it, or "
        "put the value in quotes if it starts with '!'",
        "study.yaml:2 : YAML non valide : l’étiquette '!python/object' n’est pas prise en charge : "
        "retirez-la, ou mettez la valeur entre guillemets si elle commence par '!'",
    ),
    (
        "key: pilot\ntitle: @pilot\n",
        "study.yaml:2: not valid YAML: '@' cannot start a value: put the value in quotes",
        "study.yaml:2 : YAML non valide : '@' ne peut pas commencer une valeur : mettez la valeur "
        "entre guillemets",
    ),
    (
        'key: pilot\ntitle: "C:\\Data"\n',
        "study.yaml:2: not valid YAML: 'D' after a backslash is not an escape: inside double "
        "quotes, write a backslash twice, or use single quotes (in the quoted text begun on "
        "line 2)",
        "study.yaml:2 : YAML non valide : 'D' après une barre oblique inverse n’est pas un "
        "échappement : entre guillemets doubles, doublez la barre oblique inverse, ou utilisez "
        "des guillemets simples (dans le texte entre guillemets commencé à la ligne 2)",
    ),
    (
        'key: pilot\ntitle: "C:\\Users"\n',
        "study.yaml:2: not valid YAML: expected 8 hexadecimal digits in the escape sequence, but "
        "found 's': inside double quotes, write a backslash twice, or use single quotes (in the "
        "quoted text begun on line 2)",
        "study.yaml:2 : YAML non valide : 8 chiffres hexadécimaux attendus dans la séquence "
        "d’échappement, mais on trouve 's' : entre guillemets doubles, doublez la barre oblique "
        "inverse, ou utilisez des guillemets simples (dans le texte entre guillemets commencé à "
        "la ligne 2)",
    ),
    (
        "key: pilot\n\ntitle: Pilot\x07\n",
        "study.yaml:3: not valid YAML: the character U+0007 is not allowed in a YAML file",
        "study.yaml:3 : YAML non valide : le caractère U+0007 n’est pas permis dans un fichier "
        "YAML",
    ),
    (
        "key: pilot\nlaunch: 2027-02-30\n",
        "study.yaml:2: not valid YAML: 2027-02-30 is not a date or time that exists: correct it, "
        "or put it in quotes if it is text",
        "study.yaml:2 : YAML non valide : 2027-02-30 n’est pas une date ou une heure qui existe : "
        "corrigez-la, ou mettez-la entre guillemets s’il s’agit de texte",
    ),
]

# The words PyYAML itself would have shown: none is left in a translated line.
PYYAML_WORDS = ("not allowed here", "could not find", "found", "while ", "expected", "token")


def _refused(text: str) -> Invalid:
    with pytest.raises(Invalid) as info:
        service.parse(text, "study.yaml")
    return info.value


class TestBrokenStudyFiles:
    @pytest.mark.parametrize(("text", "english", "french"), BROKEN)
    def test_each_names_the_file_and_line_in_english(
        self, text: str, english: str, french: str
    ) -> None:
        assert _refused(text).message == english

    @pytest.mark.parametrize(("text", "english", "french"), BROKEN)
    def test_each_reads_whole_in_french(self, text: str, english: str, french: str) -> None:
        refused = _refused(text)
        with i18n.use_language("fr"):
            shown = refused.text()

        assert spaced(shown) == french
        assert not [words for words in PYYAML_WORDS if words in shown]

    def test_a_russian_reader_gets_russian(self) -> None:
        refused = _refused("key: pilot\ntitle\nlanguages: [en]\n")
        with i18n.use_language("ru"):
            assert refused.text() == (
                "study.yaml:3: некорректный YAML: после ключа нет ':' (в ключе на строке 2)"
            )


def _error(context: str | None, problem: str | None) -> yaml.MarkedYAMLError:
    """An error as PyYAML raises it, its context begun on line 3, its problem on line 5."""
    start = yaml.Mark("<unicode string>", 0, 2, 0, None, None)
    end = yaml.Mark("<unicode string>", 0, 4, 0, None, None)
    return yaml.MarkedYAMLError(context, start if context else None, problem, end)


class TestSaid:
    """PyYAML's two parts (as PyYAML words them, values in) and what we say of them."""

    @pytest.mark.parametrize(
        ("context", "problem", "ours"),
        [
            (None, "mapping keys are not allowed here", "'? ' cannot start a key here"),
            (None, "sequence entries are not allowed here", "a list entry ('- ') is not allowed"),
            (
                "while scanning for the next token",
                "found character '%' that cannot start any token",
                "'%' cannot start a value: put the value in quotes",
            ),
            (
                "while parsing a block collection",
                "expected <block end>, but found '<scalar>'",
                "did not expect a value here: is this line indented like the lines above it? "
                "(in the list begun on line 3)",
            ),
            (
                "while parsing a block node",
                "expected the node content, but found '<block end>'",
                "expected a value, but found the end of an indented block (in the value begun "
                "on line 3)",
            ),
            (
                "while parsing a flow node",
                "expected the node content, but found '<stream end>'",
                "expected a value, but found the end of the file (in the value begun on line 3)",
            ),
            (None, "expected '<document start>', but found '<alias>'", "found an alias (*)"),
            (None, "expected '<document start>', but found '<anchor>'", "found an anchor (&)"),
            (None, "expected '<document start>', but found '<tag>'", "found a tag (!)"),
            (
                None,
                "expected '<document start>', but found '<block sequence start>'",
                "found a list entry",
            ),
            (
                "while scanning a quoted scalar",
                "found unexpected document separator",
                "a line '---' or '...' before the closing quotation mark (in the quoted text "
                "begun on line 3)",
            ),
            (
                "while scanning a double-quoted scalar",
                "expected escape sequence of 4 hexadecimal numbers, but found 'g'",
                "expected 4 hexadecimal digits in the escape sequence, but found 'g': inside "
                "double quotes, write a backslash twice, or use single quotes (in the quoted "
                "text begun on line 3)",
            ),
            (
                "while scanning a block scalar",
                "expected indentation indicator in the range 1-9, but found 0",
                "the indentation after | or > is a digit from 1 to 9, not 0 (in the text after "
                "| or > on line 3)",
            ),
            (
                "while scanning a block scalar",
                "expected chomping or indentation indicators, but found 'x'",
                "after | or > only +, - or a digit from 1 to 9 may follow, not 'x'",
            ),
            (
                "while scanning a block scalar",
                "expected a comment or a line break, but found 'x'",
                "expected a comment or the end of the line, but found 'x'",
            ),
            (
                "while scanning an anchor",
                "expected alphabetic or numeric character, but found '\\n'",
                "expected a letter or a digit, but found the end of the line (in the anchor on "
                "line 3)",
            ),
            (
                "while scanning an alias",
                "expected alphabetic or numeric character, but found '\\x00'",
                "but found the end of the file (in the alias on line 3)",
            ),
            (
                "while scanning a directive",
                "expected a comment or a line break, but found '1'",
                "(in the directive on line 3)",
            ),
            (
                "while parsing a node",
                "found undefined tag handle '!x!'",
                "the tag '!x!' is not declared: put the value in quotes (in the value begun on "
                "line 3)",
            ),
            (
                "while scanning a tag",
                "expected a comment or a line break, but found 'x'",
                "(in the tag",
            ),
            (
                "while parsing a tag",
                "expected a comment or a line break, but found 'x'",
                "(in the tag",
            ),
            (
                "while constructing a mapping",
                "found unhashable key",
                "a key is a list or a mapping here: a key must be a single value (in the "
                "mapping begun on line 3)",
            ),
            (
                "while constructing a mapping",
                "expected a mapping for merging, but found scalar",
                "the value of '<<' must be a mapping (such as *name) or a list of them",
            ),
            (
                "while constructing a mapping",
                "expected a mapping or list of mappings for merging, but found sequence",
                "the value of '<<' must be a mapping (such as *name) or a list of them",
            ),
            (
                "found duplicate anchor 'x'; first occurrence",
                "second occurrence",
                "the anchor &x is defined again here (first on line 3)",
            ),
        ],
    )
    def test_each_known_problem_is_said_in_our_words(
        self, context: str | None, problem: str, ours: str
    ) -> None:
        message = said(_error(context, problem))

        assert isinstance(message, Say)
        assert ours in message
        with i18n.use_language("fr"):
            assert message.text() != str(message)

    def test_an_unknown_problem_keeps_pyyamls_english(self) -> None:
        error = _error("while scanning a quoted scalar", "found a new kind of problem")

        message = said(error)

        assert message == "while scanning a quoted scalar found a new kind of problem"
        assert not isinstance(message, Say)  # no message of ours: shown as is in any language

    def test_an_unknown_context_is_kept_beside_a_known_problem(self) -> None:
        message = said(_error("while reading something new", "found unhashable key"))

        assert isinstance(message, Say)
        with i18n.use_language("fr"):
            assert spaced(message.text()) == (
                "une clé est ici une liste ou une table : une clé doit être une valeur simple "
                "(while reading something new)"
            )

    def test_an_error_without_parts_is_its_own_text(self) -> None:
        assert said(yaml.YAMLError("the stream is gone")) == "the stream is gone"

    def test_a_character_the_reader_refuses_is_found_on_its_line(self) -> None:
        text = "key: pilot\n# a note\ntitle: \x1b[1m\n"
        with pytest.raises(yaml.YAMLError) as info:
            yaml.safe_load(text)

        assert line(info.value, text) == 3
        assert said(info.value) == "the character U+001B is not allowed in a YAML file"
