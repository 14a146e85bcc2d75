"""A simulated day on the real platform while its processes are killed -9.

The platform as ``make up`` starts it (its own Kafka broker and PostgreSQL cluster, the
four services) runs a short compressed day from the simulator; meanwhile the chaos harness
kills -9, one after another, each service, the broker and PostgreSQL, then routing and the
broker at once, and starts them again. After each restart a fresh contact must be offered
to an agent within seconds. Afterwards every topic is read from the start and the harness's
invariants checked (switchboard.chaos.invariants): every contact answered 2xx is in exactly
one case and its events arrived in order, no case had two holders, no agent went over
capacity, at most one survey per resolved case, each breach escalated at most once per
level, no dead letters, clients saw no 5xx but 503 with Retry-After and lost a connection
only to a service that was down. ``make soak`` runs the same for longer, faults at random.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from switchboard.chaos.faults import BROKER, short_schedule
from switchboard.chaos.report import render
from switchboard.chaos.runner import ChaosOptions, launch, run_chaos

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(480)]


def test_a_day_survives_kill_9_of_each_process_and_two_at_once() -> None:
    schedule = short_schedule(down_seconds=4.0)
    options = ChaosOptions(
        seed=17,
        schedule=schedule,
        day_seconds=160.0,
        contacts=150,
        first_fault_after=6.0,
        gap_seconds=2.0,
        routed_within=30.0,
    )
    folder = Path(tempfile.mkdtemp(prefix="switchboard-chaos-"))
    folder.chmod(0o755)  # the private PostgreSQL runs as another user when we are root
    platform = launch(folder / "platform", options)
    try:
        report = asyncio.run(run_chaos(platform, options, say=print))
    except BaseException:
        print(platform.tails(30))
        raise
    finally:
        platform.stop()
        shutil.rmtree(folder, ignore_errors=True)
    table = render(report)
    print("\n" + table)

    assert [o.fault for o in report.outcomes] == schedule, "every fault was applied\n" + table
    assert all(o.recovery is not None for o in report.outcomes), table
    assert not [c for c in report.checks if not c.passed], table
    # The faults were real: clients lost connections to killed services, and while the
    # broker alone was down intake kept answering 202 to contacts.
    errors = Counter(call.service for call in report.calls if call.error is not None)
    assert errors, "no client noticed a killed service\n" + table
    broker = next(o for o in report.outcomes if o.fault.targets == (BROKER,))
    during = [
        call
        for call in report.calls
        if call.service == "intake"
        and "/contacts/" in call.path
        and broker.killed_at + 0.5 < call.at < broker.restarted_at
    ]
    assert during, "contacts were posted while the broker was down\n" + table
    assert {call.status for call in during} == {202}, table
    assert len(report.day.accepted) >= 100, table
