import pytest

from switchboard.feedback.entrypoints.kpis_api import authorize_kpi_read
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem

COORDINATOR = Principal("u1", Role.COORDINATOR, frozenset({"nordics"}))


def test_coordinators_read_their_regions_only():
    authorize_kpi_read(COORDINATOR, region="nordics", agent_id=None)
    for region in ("dach", "*"):
        with pytest.raises(Problem) as refused:
            authorize_kpi_read(COORDINATOR, region=region, agent_id=None)
        assert refused.value.status == 403


def test_admins_read_everything_and_agents_only_themselves():
    authorize_kpi_read(Principal("root", Role.ADMIN), region="*", agent_id=None)
    agent = Principal("a7", Role.AGENT, frozenset({"nordics"}))
    authorize_kpi_read(agent, region="nordics", agent_id="a7")
    with pytest.raises(Problem):
        authorize_kpi_read(agent, region="nordics", agent_id=None)
