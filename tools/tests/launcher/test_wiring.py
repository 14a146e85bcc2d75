from pathlib import Path

from switchboard.launcher.wiring import Wiring, effective_port, service_environment

PORTS = {"intake": 9101, "routing": 9102, "escalation": 9103, "feedback": 9104}


def wiring(**changes: object) -> Wiring:
    settings: dict[str, object] = {
        "ports": PORTS,
        "database_urls": {name: f"sqlite+aiosqlite:///{name}.db" for name in PORTS},
        "kafka_bootstrap": "127.0.0.1:19092",
        "routing_policies": Path("/demo/routing-policies.yaml"),
        "escalation_config": Path("/demo/escalation.yaml"),
    }
    return Wiring(**(settings | changes))  # type: ignore[arg-type]


def test_each_service_gets_its_port_database_broker_and_loopback() -> None:
    env = service_environment("routing", wiring(), base={"PATH": "/usr/bin"})
    assert env["SWITCHBOARD_ROUTING_HTTP_PORT"] == "9102"
    assert env["SWITCHBOARD_ROUTING_HTTP_HOST"] == "127.0.0.1"
    assert env["SWITCHBOARD_ROUTING_DATABASE_URL"] == "sqlite+aiosqlite:///routing.db"
    assert env["SWITCHBOARD_ROUTING_POLICIES_FILE"] == "/demo/routing-policies.yaml"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert env["PATH"] == "/usr/bin"
    assert not any(key.startswith("SWITCHBOARD_INTAKE_") for key in env)


def test_the_console_reaches_routing_and_feedback_and_they_allow_its_origin() -> None:
    escalation = service_environment("escalation", wiring(), base={})
    assert escalation["SWITCHBOARD_ESCALATION_CONSOLE_ROUTING_URL"] == "http://127.0.0.1:9102"
    assert escalation["SWITCHBOARD_ESCALATION_CONSOLE_FEEDBACK_URL"] == "http://127.0.0.1:9104"
    assert escalation["SWITCHBOARD_ESCALATION_CONSOLE_INTAKE_URL"] == "http://127.0.0.1:9101"
    assert escalation["SWITCHBOARD_ESCALATION_CONFIG_FILE"] == "/demo/escalation.yaml"
    for service in ("routing", "feedback"):
        env = service_environment(service, wiring(), base={})
        assert env[f"SWITCHBOARD_{service.upper()}_CORS_ORIGINS"] == "http://127.0.0.1:9103"
    feedback = service_environment(
        "feedback",
        wiring(survey_delay_seconds=2.5, region_time_zones={"dach": "Europe/Berlin"}),
        base={},
    )
    assert feedback["SWITCHBOARD_FEEDBACK_REGION_TIME_ZONES"] == '{"dach": "Europe/Berlin"}'
    assert feedback["SWITCHBOARD_FEEDBACK_SURVEY_DELAY_SECONDS"] == "2.5"
    assert feedback["SWITCHBOARD_FEEDBACK_PUBLIC_BASE_URL"] == "http://127.0.0.1:9104"
    # All local customers share 127.0.0.1: the per-address limit must not throttle a demo.
    assert feedback["SWITCHBOARD_FEEDBACK_SURVEY_RATE_LIMIT"] == "600/minute"


def test_the_workspace_reaches_intake_and_intake_allows_the_workspace_and_console() -> None:
    routing = service_environment("routing", wiring(), base={})
    assert routing["SWITCHBOARD_ROUTING_WORKSPACE_INTAKE_URL"] == "http://127.0.0.1:9101"
    intake = service_environment("intake", wiring(), base={})
    origins = intake["SWITCHBOARD_INTAKE_CORS_ORIGINS"].split(",")
    assert origins == ["http://127.0.0.1:9102", "http://127.0.0.1:9103"]


def test_what_the_user_exported_for_a_service_wins() -> None:
    base = {
        "SWITCHBOARD_INTAKE_DATABASE_URL": "postgresql+asyncpg://me@127.0.0.1/intake",
        "SWITCHBOARD_INTAKE_HTTP_PORT": "9999",
    }
    env = service_environment("intake", wiring(), base=base)
    assert env["SWITCHBOARD_INTAKE_DATABASE_URL"] == "postgresql+asyncpg://me@127.0.0.1/intake"
    assert effective_port("intake", env) == 9999


def test_a_jwt_secret_is_passed_only_when_given() -> None:
    assert "SWITCHBOARD_INTAKE_JWT_SECRET" not in service_environment("intake", wiring(), {})
    env = service_environment("intake", wiring(jwt_secret="s" * 40), {})
    assert env["SWITCHBOARD_INTAKE_JWT_SECRET"] == "s" * 40


def test_overrides_win_over_the_launchers_settings() -> None:
    env = service_environment(
        "routing", wiring(overrides={"routing": {"SYNC_SECONDS": "0.1", "HTTP_PORT": "9200"}}), {}
    )
    assert env["SWITCHBOARD_ROUTING_SYNC_SECONDS"] == "0.1"
    assert effective_port("routing", env) == 9200
