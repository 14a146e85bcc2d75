"""Quoted history and signatures are cut in the languages of our first teams; the quote
headers are those Gmail, Outlook, Apple Mail and Thunderbird write."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.email_quotes import new_text

NEW = "Pakken er ikke kommet."


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Nov 23, 2026 at 10:00 AM Support <support@acme.test> wrote:",
        "On 23 Nov 2026, at 10:00, Support <support@acme.test> wrote:",
        "Am Mo., 23. Nov. 2026 um 10:00 Uhr schrieb Support <support@acme.test>:",
        "Den man. 23. nov. 2026 kl. 10.00 skrev Support <support@acme.test>:",
        "man. 23. nov. 2026 kl. 10:00 skrev Support <support@acme.test>:",
        "Den 23.11.2026 10:00, skrev Support:",
        "ma 23.11.2026 klo 10.00 Support <support@acme.test> kirjoitti:",
        "Support kirjoitti 23.11.2026 klo 10.00:",
        "Le lun. 23 nov. 2026 à 10:00, Support <support@acme.test> a écrit :",
        "Le 23/11/2026 à 10:00, Support a écrit :",
        "pon., 23 lis 2026 o 10:00 Support <support@acme.test> napisał(a):",
        "W dniu 23.11.2026 o 10:00, Support pisze:",
        "Dnia 23.11.2026 o 10:00 Support napisał:",
    ],
)
def test_attribution_lines_cut_the_history(header):
    assert new_text(f"{NEW}\n\n{header}\n> Vi ser på det.\n> Support") == NEW


def test_an_attribution_wrapped_over_two_lines_is_found():
    text = (
        f"{NEW}\n\nOn Mon, Nov 23, 2026 at 10:00 AM Support Team <\nsupport@acme.test> wrote:\n> x"
    )
    assert new_text(text) == NEW


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Support\nSent: Monday",
        "-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Montag",
        "-----Oprindelig meddelelse-----\nFra: Support\nSendt: 23. november",
        "________________________________\nFra: Support <support@acme.test>\nSendt: mandag",
        "Lähettäjä: Support <support@acme.test>\nLähetetty: maanantai 23. marraskuuta 2026",
        "De : Support <support@acme.test>\nEnvoyé : lundi 23 novembre 2026 10:00\nÀ : Ann",
        "Od: Support <support@acme.test>\nWysłano: poniedziałek, 23 listopada 2026\nDo: Ann",
        "From: Support <support@acme.test>\nSent: Monday, November 23, 2026 10:00\nTo: Ann",
    ],
)
def test_outlook_blocks_cut_the_history(block):
    assert new_text(f"{NEW}\n\n{block}\nSubject: Re: x\n\nOld text") == NEW


def test_quoted_lines_go_wherever_they_are_and_the_answers_stay():
    text = "> Which order?\nOrder 42.\n> And when?\nYesterday."
    assert new_text(text) == "Order 42.\nYesterday."


def test_the_signature_after_the_delimiter_goes():
    assert new_text(f"{NEW}\n-- \nKari Nordmann\n+47 12345678") == NEW


def test_lines_that_only_look_alike_stay():
    text = "I wrote to you about this:\nthe parcel is late.\nFrom: my phone"
    assert new_text(text) == text


def test_a_message_that_is_all_history_keeps_it():
    text = "-----Original Message-----\nFrom: Ann\nSent: Monday\n\nPlease help"
    assert new_text(text) == text


@given(st.text(max_size=500))
def test_any_text_gives_text_that_was_in_it(text):
    result = new_text(text)
    assert result == text.strip() or all(line.strip() in text for line in result.split("\n"))
