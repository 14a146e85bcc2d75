from datetime import timedelta

import pytest

from switchboard.routing.domain.policy import (
    PolicyError,
    advance_steps,
    next_review_at,
    policy_set_from_data,
)

from .builders import at, item

DOCUMENT = {
    "policies": [
        {
            "name": "phone",
            "when": 'channel == "phone" and priority <= 2',
            "steps": [
                {"requires": "tech >= 8", "timeout_seconds": 10},
                {"requires": "tech >= 4", "timeout_seconds": 20},
            ],
            "fallback": "tech >= 1",
            "offer_timeout_seconds": 15,
        }
    ]
}


def test_the_first_matching_policy_applies_and_others_get_the_default():
    policies = policy_set_from_data(DOCUMENT)
    assert policies.for_case(item("c", channel="phone", priority=1)).name == "phone"
    assert policies.for_case(item("c", channel="phone", priority=3)).name == "default"
    assert policies.by_name("phone").offer_timeout == timedelta(seconds=15)
    assert [s.requirement.source for s in policies.by_name("phone").steps] == [
        "tech >= 8",
        "tech >= 4",
        "tech >= 1",
    ]


def test_steps_advance_by_their_timeouts_and_the_fallback_never_ends():
    policy = policy_set_from_data(DOCUMENT).by_name("phone")
    assert advance_steps(policy, step=0, started_at=at(0), now=at(9)) == (0, at(0))
    assert advance_steps(policy, step=0, started_at=at(0), now=at(12)) == (1, at(10))
    assert advance_steps(policy, step=0, started_at=at(0), now=at(999)) == (2, at(30))
    assert next_review_at(policy, step=1, step_started_at=at(10), preferred_until=None) == at(30)
    assert next_review_at(policy, step=2, step_started_at=at(30), preferred_until=at(40)) == at(40)
    assert next_review_at(policy, step=2, step_started_at=at(30), preferred_until=None) is None


@pytest.mark.parametrize(
    ("document", "where", "column"),
    [
        ({"policies": "no"}, "policies", None),
        ({"policies": [{"steps": []}]}, "policies[0].name", None),
        ({"policies": [{"name": "p", "when": "tech > 1"}]}, "policies[0].when", 1),
        (
            {
                "policies": [
                    {"name": "p", "steps": [{"requires": "tech >> 1", "timeout_seconds": 1}]}
                ]
            },
            "policies[0].steps[0].requires",
            7,
        ),
        (
            {
                "policies": [
                    {"name": "p", "steps": [{"requires": "tech > 1", "timeout_seconds": 0}]}
                ]
            },
            "policies[0].steps[0].timeout_seconds",
            None,
        ),
        ({"policies": [{"name": "p"}, {"name": "p"}]}, "policies", None),
        ({"policies": [{"name": "p", "fallback": 3}]}, "policies[0].fallback", None),
    ],
)
def test_a_bad_document_is_rejected_with_the_place_of_the_error(document, where, column):
    with pytest.raises(PolicyError) as caught:
        policy_set_from_data(document)
    assert caught.value.where == where
    assert caught.value.column == column


@pytest.mark.parametrize("name", ["x" * 129, "bad\x00name", "tab\tname"])
def test_a_policy_name_the_case_rows_cannot_store_is_refused(name):
    document = {"policies": [{"name": name, "steps": [], "fallback": "true"}]}
    with pytest.raises(PolicyError, match="at most 128 printable characters") as caught:
        policy_set_from_data(document)
    assert caught.value.where == "policies[0].name"


@pytest.mark.parametrize("timeout", [20, 20.0, "20s", "20", "PT20S", "0h20s"])
def test_a_step_timeout_reads_any_duration_spelling_and_the_older_seconds(timeout):
    for key in ("timeout", "timeout_seconds"):
        if key == "timeout_seconds" and isinstance(timeout, str):
            continue
        document = {
            "policies": [
                {
                    "name": "p",
                    "steps": [{"requires": "tech >= 1", key: timeout}],
                    "fallback": "true",
                }
            ]
        }
        step = policy_set_from_data(document).by_name("p").steps[0]
        assert step.timeout == timedelta(seconds=20), key


def test_the_offer_timeout_reads_both_spellings_and_defaults_to_thirty_seconds():
    def offer_timeout(**entry):
        document = {"policies": [{"name": "p", "steps": [], **entry}]}
        return policy_set_from_data(document).by_name("p").offer_timeout

    assert offer_timeout(offer_timeout="1m30s") == timedelta(seconds=90)
    assert offer_timeout(offer_timeout="PT2M") == timedelta(minutes=2)
    assert offer_timeout(offer_timeout_seconds=15) == timedelta(seconds=15)
    assert offer_timeout() == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("step", "where"),
    [
        ({"requires": "tech > 1", "timeout": "soon"}, "policies[0].steps[0].timeout"),
        ({"requires": "tech > 1", "timeout": "0s"}, "policies[0].steps[0].timeout"),
        (
            {"requires": "tech > 1", "timeout_seconds": "20s"},
            "policies[0].steps[0].timeout_seconds",
        ),
        (
            {"requires": "tech > 1", "timeout": "20s", "timeout_seconds": 20},
            "policies[0].steps[0].timeout",
        ),
        ({"requires": "tech > 1"}, "policies[0].steps[0].timeout"),
    ],
)
def test_a_bad_or_missing_step_timeout_is_refused_where_it_is(step, where):
    with pytest.raises(PolicyError) as caught:
        policy_set_from_data({"policies": [{"name": "p", "steps": [step]}]})
    assert caught.value.where == where


def test_a_bad_offer_timeout_is_refused_where_it_is():
    with pytest.raises(PolicyError) as caught:
        policy_set_from_data({"policies": [{"name": "p", "offer_timeout": "forever"}]})
    assert caught.value.where == "policies[0].offer_timeout"
