"""Single sign-on against a real provider on loopback: its discovery document and JWKS
served over HTTP, keys made here (RSA and EC), rotated, and the provider down."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request
from jwt.utils import base64url_encode

from switchboard.servicekit.auth import (
    DEV_JWT_SECRET,
    BearerServiceSettings,
    Principal,
    Role,
    TokenVerifier,
    bearer_principal,
)
from switchboard.servicekit.http import Problem, create_app
from switchboard.servicekit.testing.oidc_provider import LocalProvider, SigningKey, new_key


class Settings(BearerServiceSettings):
    pass


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    provider = LocalProvider()
    provider.add_key("RS256")
    provider.start()
    yield provider
    provider.stop()


def verifier_for(provider: LocalProvider, **settings: Any) -> TokenVerifier:
    return Settings.load(oidc_issuer=provider.issuer, **settings).token_verifier()


def refused(verifier: TokenVerifier, token: str, status: int = 401) -> Problem:
    with pytest.raises(Problem) as raised:
        verifier.principal(token)
    assert raised.value.status == status, raised.value.detail
    return raised.value


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_providers_token_verifies_through_discovery(provider, algorithm):
    key = provider.add_key(algorithm)
    verifier = verifier_for(provider)
    token = provider.token(key=key, sub="agent-7", roles=["agent"], regions=["nordics"])
    assert verifier.principal(token) == Principal("agent-7", Role.AGENT, frozenset({"nordics"}))
    assert (provider.discovery_requests, provider.jwks_requests) == (1, 1)
    verifier.principal(provider.token(key=key, roles=["admin"]))
    assert provider.jwks_requests == 1  # cached


def test_a_configured_jwks_url_needs_no_discovery(provider):
    verifier = verifier_for(provider, oidc_jwks_url=provider.jwks_url)
    assert verifier.principal(provider.token(roles=["admin"])).role is Role.ADMIN
    assert provider.discovery_requests == 0


def test_nested_claims_are_mapped_into_the_principal(provider):
    verifier = verifier_for(
        provider,
        oidc_subject_claim="preferred_username",
        oidc_roles_claim="realm_access.roles",
        oidc_regions_claim="switchboard.regions",
        oidc_role_names={"sb-coordinators": "coordinator"},
    )
    token = provider.token(
        preferred_username="cora",
        realm_access={"roles": ["offline_access", "sb-coordinators"]},
        switchboard={"regions": ["dach", "nordics"]},
    )
    assert verifier.principal(token) == Principal(
        "cora", Role.COORDINATOR, frozenset({"dach", "nordics"})
    )


def test_alg_none_is_refused(provider):
    verifier = verifier_for(provider)
    unsigned = jwt.encode(
        {"iss": provider.issuer, "aud": "switchboard", "sub": "x", "roles": ["admin"], "exp": 9e9},
        None,
        "none",
    )
    problem = refused(verifier, unsigned)
    assert problem.detail == (
        "invalid bearer token: algorithm 'none' is not allowed: only RS256, ES256"
    )
    assert problem.headers == {
        "WWW-Authenticate": 'Bearer realm="switchboard", error="invalid_token"'
    }


def test_an_hs256_token_claiming_the_provider_is_refused_even_with_the_right_secret(provider):
    verifier = verifier_for(provider)
    claims = {"iss": provider.issuer, "aud": "switchboard", "sub": "x", "role": "admin"}
    claims |= {"roles": ["admin"], "exp": time.time() + 60}
    forged = jwt.encode(claims, DEV_JWT_SECRET, "HS256")
    assert "may not claim the single sign-on issuer" in str(refused(verifier, forged).detail)
    # the classic confusion: the provider's public key used as an HMAC secret
    public_pem = (
        provider.keys[-1]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"kid": provider.keys[-1].kid, "alg": "HS256", "typ": "JWT"}
    signing_input = b".".join(
        base64url_encode(json.dumps(part).encode()) for part in (header, claims)
    )
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    confused = (signing_input + b"." + base64url_encode(signature)).decode()
    assert "may not claim the single sign-on issuer" in str(refused(verifier, confused).detail)


def test_shared_secret_tokens_stay_for_development_unless_oidc_only(provider):
    dev = Settings.load().token_verifier().issue(subject="dev", role="admin")
    assert verifier_for(provider).principal(dev).subject == "dev"
    problem = refused(verifier_for(provider, oidc_only=True), dev)
    assert "shared-secret (HS256) tokens are not accepted" in str(problem.detail)


def test_services_tokens_pass_with_single_sign_on_only_when_signed_with_their_secret(provider):
    services = {"oidc_only": True, "service_token_secret": "s" * 40, "service_name": "escalation"}
    verifier = verifier_for(provider, **services)
    token = Settings.load(oidc_issuer=provider.issuer, **services).service_token()()
    caller = verifier.principal(token)
    assert (caller.subject, caller.role, caller.platform_signed) == (
        "service:escalation",
        Role.ADMIN,
        True,
    )
    # signed with the shared secret instead: refused, also where shared secrets still pass
    forged = Settings.load().token_verifier().issue(subject="service:escalation", role="admin")
    assert "Signature verification failed" in str(refused(verifier, forged).detail)
    mixed = verifier_for(provider, service_token_secret="s" * 40)
    assert "Signature verification failed" in str(refused(mixed, forged).detail)
    # and a person's token signed with the services' secret is no service's
    person = TokenVerifier("s" * 40, "switchboard").issue(subject="greta", role="admin")
    assert "shared-secret (HS256) tokens are not accepted" in str(refused(verifier, person).detail)


def test_a_token_signed_by_a_key_the_provider_does_not_publish_is_refused(provider):
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=0)
    stranger = SigningKey(provider.keys[-1].kid, "RS256", new_key("RS256"))  # same kid, too
    assert "Signature verification failed" in str(
        refused(verifier, provider.token(key=stranger, roles=["admin"])).detail
    )
    unknown = SigningKey("not-published", "RS256", new_key("RS256"))
    problem = refused(verifier, provider.token(key=unknown, roles=["admin"]))
    assert problem.detail == (
        "invalid bearer token: signed by an unknown key: 'not-published' is not in the "
        "provider's keys"
    )


def test_an_es256_token_under_an_rsa_keys_kid_is_refused(provider):
    verifier = verifier_for(provider)
    impostor = SigningKey(provider.keys[-1].kid, "ES256", new_key("ES256"))
    problem = refused(verifier, provider.token(key=impostor, roles=["admin"]))
    assert "does not match the key's algorithm 'RS256'" in str(problem.detail)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "http://127.0.0.1:1/elsewhere"}, "issuer 'http://127.0.0.1:1/elsewhere' is not"),
        ({"iss": None}, "issuer None is not"),
        ({"aud": "another-client"}, "Audience doesn't match"),
        ({"aud": None}, 'Token is missing the "aud" claim'),
        ({"exp": -31}, "Signature has expired"),
        ({"exp": None}, 'Token is missing the "exp" claim'),
        ({"nbf": 120}, "The token is not yet valid"),
    ],
)
def test_wrong_issuer_audience_or_time_is_a_401_that_says_why(provider, claims, reason):
    """``exp`` and ``nbf``: seconds from now."""
    for moment in ("exp", "nbf"):
        if claims.get(moment) is not None:
            claims = {**claims, moment: time.time() + claims[moment]}
    problem = refused(verifier_for(provider), provider.token(roles=["agent"], **claims))
    assert reason in str(problem.detail)


def test_expiry_has_a_small_leeway(provider):
    verifier = verifier_for(provider, oidc_leeway_seconds=30)
    assert verifier.principal(provider.token(roles=["agent"], exp=time.time() - 5))


def test_a_token_without_a_switchboard_role_is_a_403(provider):
    problem = refused(verifier_for(provider), provider.token(roles=["offline_access"]), 403)
    assert "holds no Switchboard role" in str(problem.detail)
    assert problem.headers == {
        "WWW-Authenticate": 'Bearer realm="switchboard", error="insufficient_scope"'
    }


def test_the_provider_rotates_its_keys(provider):
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=0)
    old = provider.token(roles=["agent"])
    assert verifier.principal(old)
    provider.rotate("ES256")
    new = provider.token(roles=["agent"])
    assert verifier.principal(new).role is Role.AGENT  # the unknown kid refetched the keys
    assert provider.jwks_requests == 2
    problem = refused(verifier, old)
    assert "signed by an unknown key" in str(problem.detail)


def test_unknown_key_ids_refetch_at_most_once_per_cooldown(provider):
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=30)
    assert verifier.principal(provider.token(roles=["agent"]))
    for n in range(20):
        made_up = SigningKey(f"made-up-{n}", "RS256", provider.keys[-1].private)
        refused(verifier, provider.token(key=made_up, roles=["agent"]))
    assert provider.jwks_requests == 1  # the first fetch started the cooldown


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"nonce": "n-0S6_WzA2Mj"}, "it carries nonce"),
        ({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"}, "it carries at_hash"),
        ({"c_hash": "LDktKdoQak3Pk0cnXxCltA"}, "it carries c_hash"),
    ],
)
def test_an_id_token_is_not_an_access_token(provider, claims, reason):
    token = provider.token(roles=["admin"], **claims)
    problem = refused(verifier_for(provider), token)
    assert "an ID token is not an access token" in str(problem.detail)
    assert reason in str(problem.detail)


def test_an_id_token_for_the_client_fails_an_api_audience(provider):
    """The provider gives the console (client ``switchboard-console``) an ID token for it;
    the API's audience is its own, so the ID token is refused even without a nonce."""
    verifier = verifier_for(provider, oidc_audience="https://switchboard.example/api")
    id_token = provider.token(roles=["admin"], aud="switchboard-console")
    assert "Audience doesn't match" in str(refused(verifier, id_token).detail)
    access = provider.token(roles=["admin"], aud=["https://switchboard.example/api", "account"])
    assert verifier.principal(access).role is Role.ADMIN


@pytest.mark.parametrize(
    ("typ", "required", "accepted"),
    [
        (None, False, True),
        ("JWT", False, True),
        ("at+jwt", False, True),
        ("logout+jwt", False, False),
        ("dpop+jwt", False, False),
        (None, True, False),
        ("JWT", True, False),
        ("at+jwt", True, True),
        ("application/at+JWT", True, True),
    ],
)
def test_the_header_type_says_an_access_token(provider, typ, required, accepted):
    verifier = verifier_for(provider, oidc_require_access_token_type=required)
    token = provider.token(roles=["agent"], typ=typ)
    if accepted:
        assert verifier.principal(token).role is Role.AGENT
    else:
        assert "not an access token" in str(refused(verifier, token).detail)


def eventually(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_an_expired_key_set_answers_at_once_while_one_background_fetch_replaces_it(provider):
    verifier = verifier_for(provider, oidc_jwks_ttl_seconds=0.2)
    token = provider.token(roles=["agent"])
    verifier.principal(token)
    provider.delay_seconds = 1.0  # a slow provider: no request may wait for it
    time.sleep(0.3)
    started = time.monotonic()
    for _ in range(20):
        assert verifier.principal(token, fetch=False).role is Role.AGENT
    assert time.monotonic() - started < 0.5
    assert eventually(lambda: provider.jwks_requests == 2)
    time.sleep(1.5)
    assert provider.jwks_requests == 2  # one refresh for the twenty, and the set is fresh again


def test_a_rotated_key_verifies_at_once_while_the_set_is_stale(provider):
    verifier = verifier_for(provider, oidc_jwks_ttl_seconds=0.2, oidc_jwks_refetch_seconds=0)
    verifier.principal(provider.token(roles=["agent"]))
    time.sleep(0.3)
    provider.rotate("ES256")
    assert verifier.principal(provider.token(roles=["agent"])).role is Role.AGENT


def test_stale_keys_verify_for_max_stale_while_the_provider_is_down_then_503(provider):
    verifier = verifier_for(
        provider,
        oidc_jwks_ttl_seconds=0.2,
        oidc_jwks_max_stale_seconds=1.0,
        oidc_jwks_refetch_seconds=2,
    )
    token = provider.token(roles=["agent"])
    verifier.principal(token)
    provider.stop()
    time.sleep(0.4)  # expired: the background fetch fails, the stale set still verifies
    started = time.monotonic()
    assert verifier.principal(token, fetch=False).role is Role.AGENT
    assert time.monotonic() - started < 0.5
    time.sleep(1.0)  # past ttl + max stale
    problem = refused(verifier, token, 503)
    assert "is unreachable" in str(problem.detail)
    assert problem.headers is not None
    assert 1 <= int(problem.headers["Retry-After"]) <= 2


def test_the_provider_down_is_a_503_for_an_unknown_key_and_cached_keys_still_verify(provider):
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=0, oidc_jwks_ttl_seconds=0.2)
    known = provider.token(roles=["agent"])
    verifier.principal(known)
    provider.add_key("ES256")
    unknown = provider.token(roles=["agent"])
    provider.stop()
    problem = refused(verifier, unknown, 503)
    assert "key set" in str(problem.detail)
    assert "is unreachable" in str(problem.detail)
    assert problem.headers is not None
    assert int(problem.headers["Retry-After"]) >= 1
    time.sleep(0.3)  # the cached key set expired; the provider still down
    assert verifier.principal(known).role is Role.AGENT


def test_a_provider_never_reached_is_a_503_and_not_asked_again_within_the_cooldown(provider):
    token = provider.token(roles=["agent"])
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=30)
    provider.stop()
    started = time.monotonic()
    first = refused(verifier, token, 503)
    assert "openid-configuration could not be read" in str(first.detail)
    assert first.headers == {"Retry-After": "30"}
    again = refused(verifier, token, 503)
    assert int(again.headers["Retry-After"]) <= 30  # type: ignore[index]
    assert time.monotonic() - started < 5


def test_a_failing_provider_is_asked_once_per_cooldown(provider):
    token = provider.token(roles=["agent"])
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=30)
    provider.failing = True
    for _ in range(5):
        assert "500" in str(refused(verifier, token, 503).detail)
    assert provider.failed_requests == 1


def test_a_discovery_document_for_another_issuer_is_not_trusted(provider):
    verifier = verifier_for(provider)
    provider.issuer += "/"  # the document now names another issuer than the configured one
    problem = refused(verifier, provider.token(roles=["agent"], iss=provider.issuer[:-1]), 503)
    assert "names another issuer" in str(problem.detail)


async def test_a_request_waits_for_the_provider_off_the_event_loop(provider):
    verifier = verifier_for(provider)
    provider.delay_seconds = 0.25  # discovery, then the key set: half a second
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        caller = await verifier.authenticate(provider.token(roles=["agent"]))
    finally:
        ticker.cancel()
    assert caller.role is Role.AGENT
    assert ticks >= 10  # the loop ran while the keys were fetched
    provider.delay_seconds = 5.0
    started = time.monotonic()
    assert await verifier.authenticate(provider.token(roles=["admin"]))
    assert time.monotonic() - started < 1  # cached: no fetch


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


router = APIRouter()
CallerDep = Annotated[Principal, Depends(bearer_principal(_verifier))]


@router.get("/me")
async def me(who: CallerDep) -> dict[str, object]:
    return {"sub": who.subject, "role": who.role, "regions": sorted(who.regions)}


def app_for(verifier: TokenVerifier) -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router])
    app.state.verifier = verifier
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_over_http_a_401_403_and_503_are_problems(provider):
    verifier = verifier_for(provider, oidc_jwks_refetch_seconds=0)
    async with app_for(verifier) as client:

        async def me(token: str) -> httpx.Response:
            return await client.get("/me", headers={"Authorization": f"Bearer {token}"})

        ok = await me(provider.token(sub="a1", roles=["agent"], regions=["nordics"]))
        assert ok.json() == {"sub": "a1", "role": "agent", "regions": ["nordics"]}
        expired = await me(provider.token(roles=["agent"], ttl=timedelta(minutes=-5)))
        assert (expired.status_code, expired.headers["content-type"]) == (
            401,
            "application/problem+json",
        )
        assert expired.json()["detail"] == "invalid bearer token: Signature has expired"
        assert (await me(provider.token(roles=[]))).status_code == 403
        provider.rotate()
        unknown = provider.token(roles=["agent"])
        provider.stop()
        down = await me(unknown)
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert int(down.headers["retry-after"]) >= 1
        assert "unreachable" in down.json()["detail"]
