from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.regions import Coordinator, CoordinatorDirectory, can_act
from switchboard.servicekit.auth import Principal, Role

DIRECTORY = CoordinatorDirectory(
    [
        Coordinator("anna", "Anna", frozenset({"nordics"}), frozenset({"team_lead"})),
        Coordinator(
            "bjorn", "Bjørn", frozenset({"nordics", "baltics"}), frozenset({"coordinator"})
        ),
        Coordinator("claire", "Claire", frozenset({"france"}), frozenset({"coordinator"})),
        Coordinator("marek", "Marek", frozenset({"poland", "nordics"}), frozenset({"manager"})),
    ]
)


def test_coverage_by_region():
    assert {c.coordinator_id for c in DIRECTORY.covering("nordics")} == {"anna", "bjorn", "marek"}
    assert DIRECTORY.covering("iberia") == ()


def test_level_targets_resolve_within_the_region_only():
    assert [
        c.coordinator_id for c in DIRECTORY.resolve_targets(["role:coordinator"], region="nordics")
    ] == ["bjorn"]
    assert DIRECTORY.resolve_targets(["claire"], region="nordics") == ()
    assert {c.coordinator_id for c in DIRECTORY.resolve_targets(["region"], region="poland")} == {
        "marek"
    }


def test_a_coordinator_sees_and_acts_only_in_their_regions():
    claire = Principal("claire", Role.COORDINATOR, frozenset({"france"}))
    assert claire.covers("france")
    assert can_act(claire, "france")
    assert not claire.covers("nordics")
    assert not can_act(claire, "nordics")


def test_agents_may_see_and_raise_but_not_act():
    agent = Principal("a-1", Role.AGENT, frozenset({"nordics"}))
    assert agent.covers("nordics")  # what an agent sees, it may escalate by hand
    assert not can_act(agent, "nordics")
    assert not agent.covers("france")


def test_admins_see_everything():
    admin = Principal("root", Role.ADMIN, frozenset())
    assert can_act(admin, "anywhere")


regions = st.sampled_from(["nordics", "france", "poland", "baltics", "dach", "uk"])


@given(st.sampled_from(list(Role)), st.frozensets(regions), st.frozensets(regions))
def test_nobody_but_an_admin_sees_outside_their_regions(role, own, all_regions):
    principal = Principal("p", role, own)
    visible = {region for region in all_regions if principal.covers(region)}
    assert visible == (all_regions if role is Role.ADMIN else all_regions & own)
    for region in all_regions:
        assert not can_act(principal, region) or principal.covers(region)
