from dataclasses import replace

from switchboard.feedback.domain.templates import template_for
from switchboard.feedback.entrypoints.survey_page import survey_form_html, thanks_html


def test_the_form_asks_every_question_in_the_template_language():
    page = survey_form_html(template_for("pl"), action="/surveys/abc")
    assert page.startswith('<!doctype html><html lang="pl">')
    assert 'action="/surveys/abc"' in page
    assert page.count('name="csat"') == 5
    assert page.count('name="nps"') == 11
    assert page.count('name="ces"') == 7
    assert page.count('name="reasons"') == 6
    assert "Jak bardzo jesteś zadowolony(-a) z otrzymanej pomocy?" in page


def test_text_and_the_action_are_escaped():
    template = replace(template_for("en"), title="<script>alert(1)</script>")
    page = survey_form_html(template, action='/surveys/"><script>')
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_the_thank_you_page_is_in_the_language():
    assert "Vielen Dank für Ihr Feedback!" in thanks_html(template_for("de-AT"))
