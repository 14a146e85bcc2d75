"""Events other services send intake, built as they build them, for unit and integration
tests alike."""

import uuid
from datetime import datetime, timedelta

from switchboard.contracts.events import CaseAssigned
from switchboard.contracts.events.common import Channel
from switchboard.contracts.events.explanation import (
    CandidateKind,
    DecisionTrigger,
    Explanation,
    RunnerUp,
    WonBy,
)


def assigned(
    case_id: str,
    agent_id: str,
    at: datetime,
    *,
    channel: Channel = Channel.EMAIL,
    waited: timedelta = timedelta(seconds=30),
) -> CaseAssigned:
    """Routing's assignment of ``case_id`` to ``agent_id`` at ``at``, queued ``waited`` before."""
    return CaseAssigned(
        case_id=case_id,
        region="nordics",
        channel=channel,
        agent_id=agent_id,
        offer_id=uuid.uuid4().hex,
        assigned_at=at,
        enqueued_at=at - waited,
        explanation=Explanation(
            trigger=DecisionTrigger.CASE_ARRIVED,
            policy_id="default",
            step_index=0,
            requirement="true",
            runner_up=RunnerUp(kind=CandidateKind.AGENT, won_by=WonBy.NONE, reason="alone"),
        ),
    )
