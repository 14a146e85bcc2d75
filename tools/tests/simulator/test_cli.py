import pytest
from typer.testing import CliRunner

from switchboard.simulator.cli import app


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--intake", "http://10.1.2.3:8001"], "loopback"),
        (["--kafka", "broker.example:9092"], "loopback"),
        (["--day-seconds", "0"], "day-seconds"),
        (["--contacts", "0"], "contacts"),
        (["--days", "0"], "days"),
        (["--understaffed", "atlantis"], "unknown region"),
    ],
)
def test_bad_options_are_a_usage_error(options, complaint):
    result = CliRunner().invoke(app, options)
    assert result.exit_code == 2
    assert complaint in result.output


def test_no_platform_is_a_clear_failure():
    # a loopback port nothing listens on: refused at the readiness check, before Kafka
    result = CliRunner().invoke(
        app,
        [
            "--intake",
            "http://127.0.0.1:9",
            "--routing",
            "http://127.0.0.1:9",
            "--escalation",
            "http://127.0.0.1:9",
            "--feedback",
            "http://127.0.0.1:9",
            "--quiet",
        ],
    )
    assert result.exit_code == 1
    assert "not ready: intake, routing, escalation, feedback" in result.output
