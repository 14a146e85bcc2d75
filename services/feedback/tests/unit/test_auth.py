import time

import jwt
import pytest

from switchboard.feedback.entrypoints.auth import (
    Role,
    authorize_kpi_read,
    principal_from,
)
from switchboard.servicekit.http import Problem

SECRET = "s" * 40


def bearer(**claims) -> str:
    body = {"sub": "u1", "role": "coordinator", "regions": ["nordics"], "exp": time.time() + 60}
    return "Bearer " + jwt.encode(body | claims, SECRET, algorithm="HS256")


def principal(header: str):
    return principal_from(header, secret=SECRET, algorithm="HS256", audience=None)


def test_a_valid_token_names_the_caller_and_their_regions():
    caller = principal(bearer())
    assert (caller.subject, caller.role, caller.regions) == ("u1", Role.COORDINATOR, {"nordics"})


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic abc",
        "Bearer",
        "Bearer not.a.jwt",
        bearer(exp=time.time() - 1),
        bearer(role="superuser"),
        bearer(regions="nordics"),
        "Bearer " + jwt.encode({"sub": "u1", "role": "admin", "exp": time.time() + 60}, "x" * 40),
    ],
)
def test_anything_else_is_a_401(header):
    with pytest.raises(Problem) as refused:
        principal(header)
    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}


def test_coordinators_read_their_regions_only():
    caller = principal(bearer())
    authorize_kpi_read(caller, region="nordics", agent_id=None)
    for region in ("dach", "*"):
        with pytest.raises(Problem) as refused:
            authorize_kpi_read(caller, region=region, agent_id=None)
        assert refused.value.status == 403


def test_admins_read_everything_and_agents_only_themselves():
    authorize_kpi_read(principal(bearer(role="admin", regions=[])), region="*", agent_id=None)
    agent = principal(bearer(role="agent", sub="a7"))
    authorize_kpi_read(agent, region="nordics", agent_id="a7")
    with pytest.raises(Problem):
        authorize_kpi_read(agent, region="nordics", agent_id=None)
