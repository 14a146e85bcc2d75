"""A tiny HTML form for the survey link, for customers whose channel shows a plain link."""

from __future__ import annotations

from html import escape

from switchboard.feedback.domain.templates import ScaleQuestion, SurveyTemplate

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "fieldset{border:0;margin:0 0 1.5rem;padding:0}label{margin-right:.4rem}"
    "small{color:#555}textarea{width:100%;min-height:5rem}"
)


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _scale(question: ScaleQuestion) -> str:
    name = question.question.value
    options = "".join(
        f'<label><input type="radio" name="{name}" value="{value}"> {value}</label>'
        for value in range(question.minimum, question.maximum + 1)
    )
    return (
        f"<fieldset><legend>{escape(question.text)}</legend>{options}<br>"
        f"<small>{question.minimum} = {escape(question.minimum_label)}, "
        f"{question.maximum} = {escape(question.maximum_label)}</small></fieldset>"
    )


def survey_form_html(template: SurveyTemplate, *, action: str) -> str:
    reasons = "".join(
        f'<label><input type="checkbox" name="reasons" value="{escape(c.code)}"> '
        f"{escape(c.label)}</label><br>"
        for c in template.reasons
    )
    body = (
        f'<form method="post" action="{escape(action)}">'
        + "".join(_scale(q) for q in template.questions)
        + f"<fieldset><legend>{escape(template.reasons_prompt)}</legend>{reasons}</fieldset>"
        + f"<fieldset><legend>{escape(template.comment_prompt)}</legend>"
        + '<textarea name="comment" maxlength="2000"></textarea></fieldset>'
        + f"<button>{escape(template.submit_label)}</button></form>"
    )
    return _page(template.language, template.title, body)


def thanks_html(template: SurveyTemplate) -> str:
    return _page(template.language, template.thanks, "")
