import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_encode

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

# Links as the hand-written signer before itsdangerous made them (expiring at LATER); links
# already in customers' inboxes must keep working until they expire.
LEGACY_S1 = "cy0x.1778241600.qZNzNx4ERj53Sy90EwT1qrqXzx_Cp5D3poNgPFH59pE"
LEGACY_UUID_BY_OTHER_SECRET = (
    "MGI5ZjVjMWUtM2QxZi00YTQ3LTlhNDMtNmYwZDJmM2M4ZTEx.1778241600."
    "LOuY0gr5fZf3wVvVmWJq5EVMrZHrDk8DP9MaT3qHQf8"
)


def test_a_signed_link_verifies_to_its_survey_and_expiry():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    link = verify_survey_link(token=token, secrets=[SECRET], now=NOW)
    assert link.survey_id == "s-1"
    assert link.expires_at == LATER


def test_new_links_are_told_apart_from_old_ones_by_their_shape():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    assert token.count(".") == 1
    assert LEGACY_S1.count(".") == 2


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
    signature = token.rpartition(".")[2]
    extended = int(LATER.timestamp()) + 86400
    forged_payload = base64_encode(json.dumps(["s-1", extended]).encode()).decode()
    with pytest.raises(InvalidToken):
        verify_survey_link(token=f"{forged_payload}.{signature}", secrets=[SECRET], now=NOW)


def test_swapping_the_survey_breaks_the_signature():
    token = sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    other = sign_survey_link(survey_id="s-2", expires_at=LATER, secret=SECRET)
    forged = f"{other.rpartition('.')[0]}.{token.rpartition('.')[2]}"
    with pytest.raises(InvalidToken):
        verify_survey_link(token=forged, secrets=[SECRET], now=NOW)


def test_a_link_sent_before_itsdangerous_still_verifies():
    link = verify_survey_link(token=LEGACY_S1, secrets=[SECRET], now=NOW)
    assert link == verify_survey_link(
        token=sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET),
        secrets=[SECRET],
        now=NOW,
    )
    rotated = verify_survey_link(
        token=LEGACY_UUID_BY_OTHER_SECRET, secrets=[SECRET, OTHER_SECRET], now=NOW
    )
    assert rotated.survey_id == "0b9f5c1e-3d1f-4a47-9a43-6f0d2f3c8e11"


def test_an_old_link_expires_and_needs_its_secret():
    with pytest.raises(ExpiredToken):
        verify_survey_link(token=LEGACY_S1, secrets=[SECRET], now=LATER)
    with pytest.raises(InvalidToken):
        verify_survey_link(token=LEGACY_S1, secrets=[OTHER_SECRET], now=NOW)


def test_an_old_link_with_a_later_expiry_or_another_survey_is_invalid():
    encoded_id, expiry, signature = LEGACY_S1.split(".")
    for forged in (
        f"{encoded_id}.{int(expiry) + 86400}.{signature}",
        f"{LEGACY_UUID_BY_OTHER_SECRET.split('.')[0]}.{expiry}.{signature}",
    ):
        with pytest.raises(InvalidToken):
            verify_survey_link(token=forged, secrets=[SECRET, OTHER_SECRET], now=NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "czE.notanumber.sig", "czE.123", "czE.1.2.3", "é.1.x", "x" * 600, ".x.y"],
)
def test_malformed_tokens_are_invalid(token):
    with pytest.raises(InvalidToken):
        verify_survey_link(token=token, secrets=[SECRET], now=NOW)


def test_short_secrets_are_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        sign_survey_link(survey_id="s-1", expires_at=LATER, secret=b"short")


@given(survey_id=st.text(min_size=1, max_size=64))
def test_any_survey_id_round_trips(survey_id):
    token = sign_survey_link(survey_id=survey_id, expires_at=LATER, secret=SECRET)
    assert verify_survey_link(token=token, secrets=[SECRET], now=NOW).survey_id == survey_id


@settings(max_examples=1000)
@given(
    legacy=st.booleans(),
    position=st.integers(0, 200),
    replacement=st.characters(categories=["L", "N"]),
)
def test_any_single_character_change_is_refused(legacy, position, replacement):
    token = (
        LEGACY_S1 if legacy else sign_survey_link(survey_id="s-1", expires_at=LATER, secret=SECRET)
    )
    position %= len(token)
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidToken):
        verify_survey_link(token=tampered, secrets=[SECRET], now=NOW)
