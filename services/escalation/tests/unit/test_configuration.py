from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from switchboard.escalation.domain.configuration import load_config
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.sla import CaseProfile, Metric
from switchboard.servicekit.durations import parse_duration

EXAMPLE = Path(__file__).parents[2] / "config" / "escalation.example.yaml"


def test_the_example_configuration_loads_into_a_policy_book():
    book = load_config(EXAMPLE.read_text()).to_policy_book()
    vip_case = CaseProfile(
        priority="urgent", channel="email", region="nordics", customer_tier="vip"
    )
    policy = book.sla_policy_for(vip_case)
    assert policy.name == "vip-urgent"
    assert policy.targets[Metric.FIRST_RESPONSE] == timedelta(minutes=15)
    assert policy.escalate_at_fractions == {0.75, 1.0}
    assert book.calendar_for("nordics").timezone == "Europe/Oslo"
    assert book.calendar_for("atlantis").timezone == "UTC"
    assert book.escalation_policy_for(TriggerKind.SLA_BREACH).repeat == 1
    assert [c.coordinator_id for c in book.directory.covering("france")] == ["claire", "marek"]
    assert book.vip.applies_to(customer_tier="platinum", vip=False)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("1.5h", 5400)],
)
def test_the_duration_spellings_of_escalation_configurations_still_parse(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", -1, 0, "1x", True])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("sla_policies: [{name: a, targets: {first_response: 0}}]", "positive"),
        ("sla_policies: [{name: a, targets: {speed: 1h}}]", "speed"),
        ("sla_policies: [{name: a, targets: {resolution: 1h}, escalation_policy: nope}]", "nope"),
        ("calendars: {x: {timezone: Mars/Base}}", "Mars/Base"),
        ("calendars: {x: {hours: {mon: ['17:00-09:00']}}}", "opening span"),
        ("calendars: {x: {country: XX}}", "XX"),
        ("escalation_policies: [{name: e, levels: []}]", "levels"),
        ("coordinators: [{id: a, name: A, regions: [x]}, {id: a, name: B, regions: [y]}]", "dupl"),
        ("surprise: 1", "surprise"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(document, message):
    with pytest.raises(ValidationError, match=message):
        load_config(document)


def test_an_unquoted_norway_is_not_read_as_false():
    book = load_config("calendars: {oslo: {timezone: Europe/Oslo, country: NO}}").to_policy_book()
    assert book.calendar_for("oslo").country == "NO"
