"""The panelist pages' own words in each study language (study texts come from the study).

Panelists are often not English speakers, so every fixed phrase on their pages is here;
a language without an entry falls back to English, key by key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Translator = Callable[..., str]

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "brand": "Delphi panel",
        "skip": "Skip to main content",
        "error_prefix": "Error",
        "round": "Round {number}",
        "deadline": "Please answer by {date}.",
        "progress": "{answered} of {total} statements answered",
        "intro": (
            "Rate each statement on every criterion. Choose “Cannot judge” when a statement "
            "is outside your expertise. Your answers are anonymous: nobody sees which "
            "ratings or reasons are yours."
        ),
        "status_none": (
            "Your answers are not submitted yet. Save a draft to come back later; "
            "submit when you have rated every statement."
        ),
        "status_submitted": (
            "Your answers were submitted on {date}. You can change them and submit again "
            "until the round closes."
        ),
        "status_changed": (
            "You have saved changes that are not submitted. Your answers submitted on "
            "{date} count until you submit again."
        ),
        "banner_saved": (
            "Your draft is saved. Come back with the link in your email at any time "
            "before the round closes."
        ),
        "banner_submitted": (
            "Thank you, your answers are submitted. You can change them until the round closes."
        ),
        "statement": "Statement {number}",
        "cannot_judge": "Cannot judge",
        "reason_label": "Your reason (optional)",
        "reason_label_asked": "Your reason",
        "reason_hint": (
            "Why did you rate it this way? Other panelists may read your reason next round, "
            "without your name."
        ),
        "reason_prompt": (
            "Your {criterion} rating is outside the range where the middle half of the panel "
            "rated last round ({q1} to {q3}). Please give a reason before you submit."
        ),
        "outside_hint": (
            "If your rating falls outside the panel’s middle range from last round, "
            "you will be asked for a reason."
        ),
        "save": "Save draft",
        "submit": "Submit answers",
        "error_summary": "There is a problem",
        "error_rating": "Statement {number}: choose a rating for {criterion}, or “Cannot judge”",
        "error_reason": (
            "Statement {number}: give a reason, because your {criterion} rating is outside "
            "last round’s middle range ({q1} to {q3})"
        ),
        "incomplete_saved": "Your answers so far are saved as a draft.",
        "feedback": "How the panel rated this in round {number}",
        "chart_summary": (
            "{criterion}: {n} ratings; median {median}; the middle half of ratings "
            "(interquartile range) from {q1} to {q3}."
        ),
        "median": "Median",
        "iqr": "Middle half (IQR)",
        "rating": "Rating",
        "panelists": "Panelists",
        "you": "You",
        "own_rating": "Your rating: {rating}",
        "own_cannot_judge": "You chose “Cannot judge”",
        "own_none": "You did not rate this",
        "reasons_below": "Reasons from panelists who rated it below the median",
        "reasons_above": "Reasons from panelists who rated it at or above the median",
        "closed_title": "This round has closed",
        "closed_posted": (
            "Round {number} closed before your answers arrived, so they do not count in the "
            "results. What you entered is kept as your draft."
        ),
        "closed_view": "Round {number} has closed. Thank you for taking part.",
        "closed_next": "If there is a next round, you will receive a new link by email.",
        "link_title": "This link does not work",
        "link_body": (
            "It may be incomplete, or the round it was for has closed. Open the link in the "
            "most recent email from the panel again; if a new round starts, you will receive "
            "a new link."
        ),
    },
    "fr": {
        "brand": "Panel Delphi",
        "skip": "Aller au contenu principal",
        "error_prefix": "Erreur",
        "round": "Tour {number}",
        "deadline": "Merci de répondre avant le {date}.",
        "progress": "{answered} énoncés sur {total} évalués",
        "intro": (
            "Évaluez chaque énoncé selon chaque critère. Choisissez « Je ne peux pas juger » "
            "lorsqu’un énoncé dépasse votre domaine d’expertise. Vos réponses sont anonymes : "
            "personne ne voit quelles notes ou justifications sont les vôtres."
        ),
        "status_none": (
            "Vos réponses ne sont pas encore envoyées. Enregistrez un brouillon pour revenir "
            "plus tard ; envoyez-les lorsque vous avez évalué tous les énoncés."
        ),
        "status_submitted": (
            "Vos réponses ont été envoyées le {date}. Vous pouvez les modifier et les renvoyer "
            "jusqu’à la clôture du tour."
        ),
        "status_changed": (
            "Vous avez enregistré des modifications non envoyées. Vos réponses envoyées le "
            "{date} comptent jusqu’à votre prochain envoi."
        ),
        "banner_saved": (
            "Votre brouillon est enregistré. Revenez avec le lien de votre courriel à tout "
            "moment avant la clôture du tour."
        ),
        "banner_submitted": (
            "Merci, vos réponses sont envoyées. Vous pouvez les modifier jusqu’à la clôture "
            "du tour."
        ),
        "statement": "Énoncé {number}",
        "cannot_judge": "Je ne peux pas juger",
        "reason_label": "Votre justification (facultatif)",
        "reason_label_asked": "Votre justification",
        "reason_hint": (
            "Pourquoi cette évaluation ? D’autres panélistes pourront lire votre justification "
            "au prochain tour, sans votre nom."
        ),
        "reason_prompt": (
            "Votre note pour « {criterion} » se situe hors de l’intervalle où la moitié "
            "centrale du panel s’est placée au tour précédent ({q1} à {q3}). Merci de "
            "justifier votre note avant l’envoi."
        ),
        "outside_hint": (
            "Si votre note se situe hors de l’intervalle central du panel au tour précédent, "
            "une justification vous sera demandée."
        ),
        "save": "Enregistrer le brouillon",
        "submit": "Envoyer mes réponses",
        "error_summary": "Il y a un problème",
        "error_rating": (
            "Énoncé {number} : choisissez une note pour « {criterion} » ou « Je ne peux pas juger »"
        ),
        "error_reason": (
            "Énoncé {number} : justifiez votre note, car votre note pour « {criterion} » se "
            "situe hors de l’intervalle central du tour précédent ({q1} à {q3})"
        ),
        "incomplete_saved": "Vos réponses sont enregistrées comme brouillon.",
        "feedback": "Évaluation du panel au tour {number}",
        "chart_summary": (
            "{criterion} : {n} notes ; médiane {median} ; la moitié centrale des notes "
            "(écart interquartile) va de {q1} à {q3}."
        ),
        "median": "Médiane",
        "iqr": "Moitié centrale (EIQ)",
        "rating": "Note",
        "panelists": "Panélistes",
        "you": "Vous",
        "own_rating": "Votre note : {rating}",
        "own_cannot_judge": "Vous avez choisi « Je ne peux pas juger »",
        "own_none": "Vous n’avez pas évalué cet énoncé",
        "reasons_below": "Justifications de panélistes ayant noté en dessous de la médiane",
        "reasons_above": "Justifications de panélistes ayant noté à la médiane ou au-dessus",
        "closed_title": "Ce tour est clos",
        "closed_posted": (
            "Le tour {number} a été clos avant l’arrivée de vos réponses : elles ne comptent "
            "pas dans les résultats. Ce que vous avez saisi est conservé comme brouillon."
        ),
        "closed_view": "Le tour {number} est clos. Merci de votre participation.",
        "closed_next": "S’il y a un prochain tour, vous recevrez un nouveau lien par courriel.",
        "link_title": "Ce lien ne fonctionne pas",
        "link_body": (
            "Il est peut-être incomplet, ou le tour auquel il donnait accès est clos. Ouvrez à "
            "nouveau le lien du dernier courriel reçu du panel ; si un nouveau tour commence, "
            "vous recevrez un nouveau lien."
        ),
    },
    "es": {
        "brand": "Panel Delphi",
        "skip": "Ir al contenido principal",
        "error_prefix": "Error",
        "round": "Ronda {number}",
        "deadline": "Responda antes del {date}.",
        "progress": "{answered} de {total} enunciados calificados",
        "intro": (
            "Califique cada enunciado según cada criterio. Elija «No puedo juzgar» cuando un "
            "enunciado quede fuera de su ámbito de conocimiento. Sus respuestas son anónimas: "
            "nadie ve qué calificaciones o razones son suyas."
        ),
        "status_none": (
            "Sus respuestas aún no se han enviado. Guarde un borrador para volver más tarde; "
            "envíelas cuando haya calificado todos los enunciados."
        ),
        "status_submitted": (
            "Sus respuestas se enviaron el {date}. Puede cambiarlas y volver a enviarlas hasta "
            "que se cierre la ronda."
        ),
        "status_changed": (
            "Ha guardado cambios que no se han enviado. Sus respuestas enviadas el {date} "
            "cuentan hasta que vuelva a enviar."
        ),
        "banner_saved": (
            "Su borrador está guardado. Vuelva con el enlace de su correo en cualquier momento "
            "antes de que se cierre la ronda."
        ),
        "banner_submitted": (
            "Gracias, sus respuestas se han enviado. Puede cambiarlas hasta que se cierre la ronda."
        ),
        "statement": "Enunciado {number}",
        "cannot_judge": "No puedo juzgar",
        "reason_label": "Su razón (opcional)",
        "reason_label_asked": "Su razón",
        "reason_hint": (
            "¿Por qué lo calificó así? Otros panelistas podrán leer su razón en la próxima "
            "ronda, sin su nombre."
        ),
        "reason_prompt": (
            "Su calificación de «{criterion}» está fuera del intervalo en el que se situó la "
            "mitad central del panel en la ronda anterior ({q1} a {q3}). Indique una razón "
            "antes de enviar."
        ),
        "outside_hint": (
            "Si su calificación queda fuera del intervalo central del panel en la ronda "
            "anterior, se le pedirá una razón."
        ),
        "save": "Guardar borrador",
        "submit": "Enviar respuestas",
        "error_summary": "Hay un problema",
        "error_rating": (
            "Enunciado {number}: elija una calificación de «{criterion}» o «No puedo juzgar»"
        ),
        "error_reason": (
            "Enunciado {number}: indique una razón, porque su calificación de «{criterion}» "
            "está fuera del intervalo central de la ronda anterior ({q1} a {q3})"
        ),
        "incomplete_saved": "Sus respuestas se han guardado como borrador.",
        "feedback": "Cómo lo calificó el panel en la ronda {number}",
        "chart_summary": (
            "{criterion}: {n} calificaciones; mediana {median}; la mitad central de las "
            "calificaciones (rango intercuartílico) va de {q1} a {q3}."
        ),
        "median": "Mediana",
        "iqr": "Mitad central (RIC)",
        "rating": "Calificación",
        "panelists": "Panelistas",
        "you": "Usted",
        "own_rating": "Su calificación: {rating}",
        "own_cannot_judge": "Eligió «No puedo juzgar»",
        "own_none": "No calificó este enunciado",
        "reasons_below": "Razones de panelistas que calificaron por debajo de la mediana",
        "reasons_above": "Razones de panelistas que calificaron en la mediana o por encima",
        "closed_title": "Esta ronda está cerrada",
        "closed_posted": (
            "La ronda {number} se cerró antes de que llegaran sus respuestas, por lo que no "
            "cuentan en los resultados. Lo que escribió se conserva como borrador."
        ),
        "closed_view": "La ronda {number} está cerrada. Gracias por su participación.",
        "closed_next": "Si hay una próxima ronda, recibirá un nuevo enlace por correo.",
        "link_title": "Este enlace no funciona",
        "link_body": (
            "Puede que esté incompleto o que la ronda a la que daba acceso se haya cerrado. "
            "Vuelva a abrir el enlace del correo más reciente del panel; si empieza una nueva "
            "ronda, recibirá un nuevo enlace."
        ),
    },
}


def translator(language: str) -> Translator:
    """``t(key, **params)`` for ``language``, falling back to English per key."""
    table = MESSAGES.get(language, {})
    fallback = MESSAGES["en"]

    def t(key: str, **params: Any) -> str:
        return (table.get(key) or fallback[key]).format(**params)

    return t


def number(value: float | None) -> str:
    """A statistic as people write it: ``7`` not ``7.0``, ``6.5`` kept, ``–`` for none."""
    if value is None:
        return "–"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")
