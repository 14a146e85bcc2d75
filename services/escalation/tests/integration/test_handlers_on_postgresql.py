"""The service-layer tests of tests/unit, run again on PostgreSQL: the row locks, JSON
columns, timer upserts and the batch's locked SELECT and executemany UPDATE as production
runs them (the ``stack`` fixture of this folder is on PostgreSQL)."""

import pytest

from ..unit.test_breach_predictions import *  # noqa: F403
from ..unit.test_clocks_and_escalations import *  # noqa: F403
from ..unit.test_other_triggers import *  # noqa: F403
from ..unit.test_problem_lists import *  # noqa: F403
from ..unit.test_problem_watch import *  # noqa: F403
from ..unit.test_rows_and_envelopes import *  # noqa: F403
from ..unit.test_sla_clock_batches import *  # noqa: F403

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
