from pathlib import Path

import pytest

from switchboard.launcher.local_platform import LaunchOptions, parse_replicas
from switchboard.launcher.wiring import (
    Wiring,
    effective_port,
    replica_environment,
    service_environment,
)

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
    assert routing["SWITCHBOARD_ROUTING_INTAKE_URL"] == "http://127.0.0.1:9101"
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


def test_each_replica_gets_its_own_port_on_the_same_database_and_group() -> None:
    replicas = wiring(
        extra_ports={"routing": [9201, 9202], "intake": [9203]},
        overrides={"routing": {"CONSUMER_GROUP": "g"}, "intake": {"SMTP_ENABLED": "true"}},
    )
    routing = [replica_environment("routing", i, replicas, base={}) for i in range(3)]
    assert [env["SWITCHBOARD_ROUTING_HTTP_PORT"] for env in routing] == ["9102", "9201", "9202"]
    assert {env["SWITCHBOARD_ROUTING_DATABASE_URL"] for env in routing} == {
        "sqlite+aiosqlite:///routing.db"
    }
    assert {env["SWITCHBOARD_ROUTING_CONSUMER_GROUP"] for env in routing} == {"g"}
    # Each names its heartbeat: the live replicas share out the pools by these names.
    names = [env["SWITCHBOARD_ROUTING_REPLICA_NAME"] for env in routing]
    assert names == ["routing", "routing-1", "routing-2"]
    # One SMTP listener on one port: only intake's first replica runs it.
    intake = [replica_environment("intake", i, replicas, base={}) for i in range(2)]
    assert [env["SWITCHBOARD_INTAKE_SMTP_ENABLED"] for env in intake] == ["true", "false"]
    # A single routing replica keeps its default name (host and pid).
    assert "SWITCHBOARD_ROUTING_REPLICA_NAME" not in replica_environment(
        "routing", 0, wiring(), base={}
    )


def test_every_console_and_workspace_replica_is_an_allowed_origin() -> None:
    replicas = wiring(extra_ports={"escalation": [9301], "routing": [9302]})
    intake = service_environment("intake", replicas, base={})
    assert intake["SWITCHBOARD_INTAKE_CORS_ORIGINS"].split(",") == [
        "http://127.0.0.1:9102",
        "http://127.0.0.1:9302",
        "http://127.0.0.1:9103",
        "http://127.0.0.1:9301",
    ]


def test_replicas_are_parsed_and_get_the_ports_after_the_first_ones() -> None:
    counts = parse_replicas("intake=2, routing=3,escalation=2,feedback=2")
    assert counts == {"intake": 2, "routing": 3, "escalation": 2, "feedback": 2}
    options = LaunchOptions(data_dir=Path("/x"), ports=PORTS, replicas=counts)
    assert options.extra_ports() == {
        "intake": [9105],
        "routing": [9106, 9107],
        "escalation": [9108],
        "feedback": [9109],
    }
    for wrong in ("routing", "routing=0", "billing=2", "routing=x"):
        with pytest.raises(ValueError):
            parse_replicas(wrong)
