import pytest

from switchboard.intake.domain.idempotency_keys import BadIdempotencyKey, idempotency_key


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("8e03978e-40d5-43e8", "8e03978e-40d5-43e8"),
        ('"8e03978e-40d5-43e8"', "8e03978e-40d5-43e8"),
        ("a key with spaces", "a key with spaces"),
        ('"say \\"hi\\" \\\\ bye"', 'say "hi" \\ bye'),
        ('"unterminated', '"unterminated'),
        ('"', '"'),
    ],
)
def test_a_key_is_the_sf_string_unquoted_or_the_text_as_sent(header, key):
    assert idempotency_key(header) == key


@pytest.mark.parametrize("header", ["", '""', "x" * 201, '"' + "x" * 201 + '"', "tab\there", "ø"])
def test_empty_long_or_unprintable_keys_are_refused(header):
    with pytest.raises(BadIdempotencyKey):
        idempotency_key(header)
