import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.identity import (
    IdentityKey,
    IdentityKind,
    InvalidIdentity,
    normalise_email,
    normalise_handle,
    normalise_phone,
    normalise_platform,
)


def email_identity(raw: str) -> IdentityKey:
    return IdentityKey(IdentityKind.EMAIL, normalise_email(raw))


def phone_identity(raw: str) -> IdentityKey:
    return IdentityKey(IdentityKind.PHONE, normalise_phone(raw))


def social_identity(platform: str, handle: str) -> IdentityKey:
    """As a social contact keys its author: the platform and the handle, normalised."""
    return IdentityKey(
        IdentityKind.SOCIAL, f"{normalise_platform(platform)}:{normalise_handle(platform, handle)}"
    )


local_parts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,20}", fullmatch=True)
domains = st.from_regex(r"[a-z][a-z0-9]{0,10}\.(com|dk|fi|fr|pl|no|se|de)", fullmatch=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  <ann@example.com>  ", "ann@example.com"),
        ("mailto:ann@example.com", "ann@example.com"),
        ("ann@example.com.", "ann@example.com"),
        ("søren@bücher.dk", None),
        ("ann@bücher.dk", "ann@xn--bcher-kva.dk"),
    ],
)
def test_normalise_email(raw, expected):
    if expected is None:
        with pytest.raises(InvalidIdentity):
            normalise_email(raw)
    else:
        assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ann",
        "ann@",
        "@example.com",
        "ann@localhost",
        "a..b@example.com",
        "a b@x.dk",
        "ann@host.local",
        "ann@example.invalid",
        "ann@10.0.0.1",
        "ann@ex_ample.dk",
        "ann@-example.dk",
        '"ann smith"@example.dk',
        f"{'a' * 65}@example.dk",
    ],
)
def test_normalise_email_refuses_non_addresses(raw):
    with pytest.raises(InvalidIdentity):
        normalise_email(raw)


def test_a_refused_address_says_why_and_test_domains_are_taken():
    with pytest.raises(InvalidIdentity, match=r"not an e-mail address: 'ann@localhost' .*period"):
        normalise_email("ann@localhost")
    assert normalise_email("Help@Acme.TEST") == "help@acme.test"


@given(local=local_parts, domain=domains, upper=st.booleans(), pad=st.sampled_from(["", " ", "\t"]))
def test_normalise_email_is_idempotent_and_case_blind(local, domain, upper, pad):
    spelled = f"{pad}{local.upper() if upper else local}@{domain.upper()}{pad}"
    once = normalise_email(spelled)
    assert normalise_email(once) == once
    assert once == normalise_email(f"{local}@{domain}")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+45 32 12 34 56", None, "+4532123456"),
        ("32 12 34 56", "DK", "+4532123456"),
        ("0045 32123456", "DK", "+4532123456"),
        ("01 42 68 53 00", "fr", "+33142685300"),
        ("+48 22 123 45 67", None, "+48221234567"),
        ("(09) 1234 5678", "FI", "+35891234 5678".replace(" ", "")),
    ],
)
def test_normalise_phone_to_e164(raw, region, expected):
    assert normalise_phone(raw, default_region=region) == expected


@pytest.mark.parametrize(
    ("raw", "region"), [("32 12 34 56", None), ("+45 12", None), ("call me", "DK"), ("", "DK")]
)
def test_normalise_phone_refuses_invalid_numbers(raw, region):
    with pytest.raises(InvalidIdentity):
        normalise_phone(raw, default_region=region)


@given(subscriber=st.integers(min_value=20_000_000, max_value=99_999_999))
def test_normalise_phone_is_idempotent(subscriber):
    try:
        once = normalise_phone(str(subscriber), default_region="DK")
    except InvalidIdentity:
        return
    assert normalise_phone(once) == once
    assert once.startswith("+45")


def test_handles_are_case_blind_and_platform_aliases_meet():
    assert social_identity("Twitter", "@Ann_Example") == social_identity("x", "ann_example")
    assert str(social_identity("IG", "Ann.Example")) == "social:instagram:ann.example"


@pytest.mark.parametrize(
    ("platform", "handle"),
    [("x", "this_handle_is_far_too_long"), ("x", "has space"), ("instagram", "bad!"), ("x", "")],
)
def test_invalid_handles_are_refused(platform, handle):
    with pytest.raises(InvalidIdentity):
        normalise_handle(platform, handle)


def test_platform_names_are_checked():
    with pytest.raises(InvalidIdentity):
        normalise_platform("not a platform")


@given(
    platform=st.sampled_from(["x", "twitter", "instagram", "mastodon"]),
    handle=st.from_regex(r"@?[A-Za-z0-9_]{1,15}", fullmatch=True),
)
def test_social_identity_is_idempotent(platform, handle):
    key = social_identity(platform, handle)
    platform_name, _, normalised = key.value.partition(":")
    assert social_identity(platform_name, normalised) == key


def test_identity_keys_print_kind_and_value():
    assert str(email_identity("A@B.dk")) == "email:a@b.dk"
    assert phone_identity("+4532123456").kind is IdentityKind.PHONE
