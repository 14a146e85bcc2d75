"""Single sign-on without a provider: claims to a principal, and the settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from switchboard.servicekit.auth import BearerServiceSettings, Principal, Role
from switchboard.servicekit.auth.oidc import (
    NoSwitchboardRole,
    OidcConfig,
    Refused,
    best_role,
    claim,
    principal_from_claims,
)

KEYCLOAK = OidcConfig(
    issuer="http://127.0.0.1:1/realms/ops",
    audience="switchboard",
    subject_claim="preferred_username",
    roles_claim="realm_access.roles",
    regions_claim="switchboard.regions",
    role_names={
        "sb-agents": Role.AGENT,
        "sb-coordinators": Role.COORDINATOR,
        "sb-admins": Role.ADMIN,
    },
)


def test_a_dotted_path_reads_a_nested_claim_and_a_dotted_name_whole():
    claims = {"realm_access": {"roles": ["a"]}, "https://example.org/roles": ["b"]}
    assert claim(claims, "realm_access.roles") == ["a"]
    assert claim(claims, "https://example.org/roles") == ["b"]
    assert claim(claims, "realm_access.groups") is None
    assert claim({"realm_access": ["not", "a", "mapping"]}, "realm_access.roles") is None


def test_nested_roles_regions_and_subject_make_the_principal():
    claims = {
        "sub": "f3c1-uuid",
        "preferred_username": "agent-7",
        "realm_access": {"roles": ["offline_access", "sb-coordinators", "uma_authorization"]},
        "switchboard": {"regions": ["nordics", "dach"]},
    }
    assert principal_from_claims(claims, KEYCLOAK) == Principal(
        "agent-7", Role.COORDINATOR, frozenset({"nordics", "dach"})
    )


def test_the_most_powerful_role_wins_and_names_map():
    assert best_role(["sb-coordinators", "sb-admins"], KEYCLOAK.role_names) is Role.ADMIN
    assert best_role(["agent", "coordinator"], {}) is Role.COORDINATOR


def test_with_a_role_table_the_providers_own_admin_role_makes_no_switchboard_admin():
    """A realm-wide "admin" role meant for another application: only the table maps."""
    assert best_role(["admin", "offline_access"], KEYCLOAK.role_names) is None
    assert best_role(["admin", "sb-coordinators"], KEYCLOAK.role_names) is Role.COORDINATOR
    assert best_role(["Admin", "root"], {}) is None  # names are exact


def test_a_space_separated_string_is_a_list():
    claims = {"sub": "u", "roles": "agent", "regions": "nordics dach"}
    config = OidcConfig(issuer="http://127.0.0.1:1", audience="a")
    assert principal_from_claims(claims, config).regions == frozenset({"nordics", "dach"})


def test_a_token_without_a_switchboard_role_is_refused_as_unauthorised():
    claims = {"preferred_username": "u", "realm_access": {"roles": ["offline_access"]}}
    with pytest.raises(NoSwitchboardRole, match=r"'realm_access\.roles' claim holds no"):
        principal_from_claims(claims, KEYCLOAK)
    with pytest.raises(NoSwitchboardRole):
        principal_from_claims({"preferred_username": "u"}, KEYCLOAK)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"realm_access": {"roles": ["sb-agents"]}}, "'preferred_username' must be a non-empty"),
        ({"preferred_username": "", "realm_access": {"roles": ["sb-agents"]}}, "non-empty"),
        ({"preferred_username": "u", "realm_access": {"roles": [1]}}, "list of strings"),
        (
            {
                "preferred_username": "u",
                "realm_access": {"roles": ["sb-agents"]},
                "switchboard": {"regions": {"x": 1}},
            },
            "'switchboard.regions' must be a list of strings",
        ),
    ],
)
def test_a_malformed_claim_is_refused(claims, reason):
    with pytest.raises(Refused, match=reason):
        principal_from_claims(claims, KEYCLOAK)


class Settings(BearerServiceSettings):
    pass


def test_settings_read_the_single_sign_on_from_the_environment(monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_OIDC_ISSUER", "http://127.0.0.1:9/realms/ops")
    monkeypatch.setenv("SWITCHBOARD_OIDC_AUDIENCE", "switchboard-api")
    monkeypatch.setenv("SWITCHBOARD_OIDC_ALGORITHMS", "RS256, ES256, PS256")
    monkeypatch.setenv("SWITCHBOARD_OIDC_ROLES_CLAIM", "realm_access.roles")
    monkeypatch.setenv("SWITCHBOARD_OIDC_ROLE_NAMES", '{"sb-admins": "admin"}')
    config = Settings.load().oidc_config()
    assert config.audience == "switchboard-api"
    assert config.algorithms == ("RS256", "ES256", "PS256")
    assert config.roles_claim == "realm_access.roles"
    assert config.role_names == {"sb-admins": Role.ADMIN}
    assert config.jwks_url is None  # from the discovery document


def test_the_audience_defaults_to_the_jwt_audience():
    settings = Settings.load(oidc_issuer="http://127.0.0.1:9", jwt_audience="ops")
    assert settings.oidc_config().audience == "ops"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"oidc_issuer": "http://127.0.0.1:9", "oidc_algorithms": "RS256,HS256"}, "HS256"),
        ({"oidc_issuer": "http://127.0.0.1:9", "oidc_algorithms": "none"}, "none"),
        ({"oidc_issuer": "127.0.0.1:9"}, "http"),
        ({"oidc_only": True}, "oidc_only needs oidc_issuer"),
        ({"oidc_jwks_url": "http://127.0.0.1:9/jwks"}, "needs oidc_issuer"),
        ({"oidc_issuer": "http://127.0.0.1:9", "oidc_role_names": {"x": "emperor"}}, "role"),
    ],
)
def test_wrong_single_sign_on_settings_are_refused(overrides, reason):
    with pytest.raises(ValidationError, match=reason):
        Settings.load(**overrides)


PRODUCTION = {"environment": "production", "database_url": "postgresql+asyncpg://db/x"}


def test_production_needs_https_for_the_provider():
    with pytest.raises(ValidationError, match="https in production"):
        Settings.load(**PRODUCTION, jwt_secret="x" * 40, oidc_issuer="http://127.0.0.1:9")


def test_production_with_single_sign_on_only_needs_no_shared_secret():
    settings = Settings.load(
        **PRODUCTION,
        oidc_issuer="https://127.0.0.1:9",
        oidc_only=True,
        service_token_secret="s" * 40,
    )
    assert settings.oidc_only
    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings.load(**PRODUCTION, oidc_issuer="https://127.0.0.1:9")


def test_production_with_single_sign_on_only_needs_a_service_token_secret():
    sso_only = {**PRODUCTION, "oidc_issuer": "https://127.0.0.1:9", "oidc_only": True}
    with pytest.raises(ValidationError, match="oidc_only needs service_token_secret"):
        Settings.load(**sso_only)
    with pytest.raises(ValidationError, match="service_token_secret must be"):
        Settings.load(**sso_only, service_token_secret="short")
