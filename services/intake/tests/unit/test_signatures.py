from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.signatures import (
    SignatureRejected,
    new_secret,
    sign,
    verify_signature,
)

NOW = datetime.now(UTC).replace(microsecond=0)
BODY = b'{"session_id": "s", "message": "Hej"}'


def test_a_request_signed_with_the_current_secret_is_accepted():
    secret = new_secret()
    headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=NOW)
    accepted = verify_signature(body=BODY, headers=headers, secrets_in_use=[secret], now=NOW)
    assert accepted.webhook_id == "msg_1"
    assert accepted.sent_at == NOW


def test_during_rotation_both_secrets_are_accepted():
    previous, current = new_secret(), new_secret()
    for secret in (previous, current):
        headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=NOW)
        verify_signature(body=BODY, headers=headers, secrets_in_use=[current, previous], now=NOW)


def test_the_time_it_is_checked_against_is_the_one_given_not_the_clock():
    """A check told it is an hour ago accepts a request signed an hour ago (the library's own
    check reads the clock; this one must not, or a suite slower than 5 min fails)."""
    an_hour_ago = NOW - timedelta(hours=1)
    secret = new_secret()
    headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=an_hour_ago)
    accepted = verify_signature(
        body=BODY, headers=headers, secrets_in_use=[secret], now=an_hour_ago
    )
    assert accepted.sent_at == an_hour_ago
    with pytest.raises(SignatureRejected, match="3600 s old"):
        verify_signature(body=BODY, headers=headers, secrets_in_use=[secret], now=NOW)


def test_another_adapters_secret_is_refused():
    headers = sign(secret=new_secret(), webhook_id="msg_1", body=BODY, at=NOW)
    with pytest.raises(SignatureRejected, match="no matching signature"):
        verify_signature(body=BODY, headers=headers, secrets_in_use=[new_secret()], now=NOW)


def test_a_tampered_body_is_refused():
    secret = new_secret()
    headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=NOW)
    with pytest.raises(SignatureRejected):
        verify_signature(body=BODY + b" ", headers=headers, secrets_in_use=[secret], now=NOW)


@pytest.mark.parametrize("shift", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_stale_or_future_requests_are_refused_with_a_reason(shift):
    secret = new_secret()
    headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=NOW - shift)
    with pytest.raises(SignatureRejected, match="webhook-timestamp is 360 s"):
        verify_signature(body=BODY, headers=headers, secrets_in_use=[secret], now=NOW)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing header"),
        ({"webhook-id": "a", "webhook-timestamp": "1"}, "webhook-signature"),
        (
            {"webhook-id": "a", "webhook-timestamp": "soon", "webhook-signature": "v1,x"},
            "not a Unix time",
        ),
    ],
)
def test_missing_or_malformed_headers_are_refused(headers, reason):
    with pytest.raises(SignatureRejected, match=reason):
        verify_signature(body=BODY, headers=headers, secrets_in_use=[new_secret()], now=NOW)


@given(signature=st.text(max_size=80))
def test_garbage_signatures_are_refused_not_crashed(signature):
    headers = {
        "webhook-id": "a",
        "webhook-timestamp": str(int(NOW.timestamp())),
        "webhook-signature": signature or "x",
    }
    with pytest.raises(SignatureRejected):
        verify_signature(body=BODY, headers=headers, secrets_in_use=[new_secret()], now=NOW)


def test_an_8bit_body_is_checked_byte_for_byte():
    secret = new_secret()
    body = "Subject: Hej\r\n\r\nK\u00e6re kunde".encode("latin-1")
    headers = sign(secret=secret, webhook_id="msg_1", body=body, at=NOW)
    verify_signature(body=body, headers=headers, secrets_in_use=[secret], now=NOW)
    with pytest.raises(SignatureRejected):
        verify_signature(body=body + b"!", headers=headers, secrets_in_use=[secret], now=NOW)


def test_the_byte_scheme_matches_the_librarys_for_utf8_bodies():
    from switchboard.intake.domain.signatures import _bytes_signature

    secret = new_secret()
    headers = sign(secret=secret, webhook_id="msg_1", body=BODY, at=NOW)
    expected = _bytes_signature(secret, "msg_1", headers["webhook-timestamp"], BODY)
    assert headers["webhook-signature"] == f"v1,{expected}"
