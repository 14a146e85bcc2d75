from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.feedback.domain.tokens import (
    ExpiredToken,
    InvalidToken,
    sign_survey_link,
    verify_survey_link,
)

SECRET = b"k" * 32
OTHER_SECRET = b"o" * 32
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def test_a_signed_link_verifies_to_its_survey_and_expiry():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    link = verify_survey_link(token=token, secrets=[SECRET], now=NOW)
    assert link.survey_id == "s-1"
    assert link.expires_at == LATER


def test_an_expired_link_is_refused_after_its_signature_checks():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    with pytest.raises(ExpiredToken):
        verify_survey_link(token=token, secrets=[SECRET], now=LATER)


def test_a_link_signed_with_another_secret_is_invalid():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=OTHER_SECRET)
    with pytest.raises(InvalidToken):
        verify_survey_link(token=token, secrets=[SECRET], now=NOW)


def test_a_retired_secret_still_verifies_during_rotation():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=OTHER_SECRET)
    link = verify_survey_link(token=token, secrets=[SECRET, OTHER_SECRET], now=NOW)
    assert link.survey_id == "s-1"


def test_extending_the_expiry_breaks_the_signature():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    encoded_id, expiry, signature = token.split(".")
    forged = f"{encoded_id}.{int(expiry) + 86400}.{signature}"
    with pytest.raises(InvalidToken):
        verify_survey_link(token=forged, secrets=[SECRET], now=NOW)


def test_swapping_the_survey_breaks_the_signature():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    other = sign_survey_link(survey_id="s-2", expires_at=LATER, secret=SECRET)
    forged = ".".join([other.split(".")[0], *token.split(".")[1:]])
    with pytest.raises(InvalidToken):
        verify_survey_link(token=forged, secrets=[SECRET], now=NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "czE.notanumber.sig", "czE.123", "czE.1.2.3", "é.1.x", "x" * 600],
)
def test_malformed_tokens_are_invalid(token):
    with pytest.raises(InvalidToken):
        verify_survey_link(token=token, secrets=[SECRET], now=NOW)


def test_short_secrets_are_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        sign_survey_link(survey_id="s-1", expires_at=LATER, secret=b"short")


@given(survey_id=st.text(min_size=1, max_size=64).filter(lambda s: "\x00" not in s))
def test_any_survey_id_round_trips(survey_id):
    token = sign_survey_link(survey_id=survey_id, expires_at=LATER, secret=SECRET)
    assert verify_survey_link(token=token, secrets=[SECRET], now=NOW).survey_id == survey_id


@settings(max_examples=1000)
@given(position=st.integers(0, 200), replacement=st.characters(categories=["L", "N"]))
def test_any_single_character_change_is_refused(position, replacement):
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    position %= len(token)
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidToken):
        verify_survey_link(token=tampered, secrets=[SECRET], now=NOW)
