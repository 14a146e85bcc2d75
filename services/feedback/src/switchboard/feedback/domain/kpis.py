"""KPI formulas over additive counters.

Every counter is a plain sum, so two sets of counters merge by addition and a KPI for any
slice (an agent, a region, a month) is the formula applied to the sum of its roll-up
buckets. Durations are kept as whole milliseconds so that sums stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

SATISFIED_CSAT = (4, 5)
PROMOTER_NPS_AT_LEAST = 9
DETRACTOR_NPS_AT_MOST = 6


@dataclass(frozen=True)
class Counters:
    surveys_requested: int = 0
    surveys_answered: int = 0
    surveys_undelivered: int = 0
    """Requested, but they never reached the customer (intake says so)."""
    csat_answers: int = 0
    csat_satisfied: int = 0
    nps_answers: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    ces_answers: int = 0
    ces_sum: int = 0
    first_responses: int = 0
    first_response_ms_sum: int = 0
    resolutions: int = 0
    resolution_ms_sum: int = 0
    first_contact_resolutions: int = 0
    sla_achieved: int = 0
    sla_breached: int = 0
    cases_opened: int = 0
    cases_reopened: int = 0

    def __add__(self, other: Counters) -> Counters:
        return Counters(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def backlog_change(self) -> int:
        """Cases that entered the backlog (opened or reopened) minus cases resolved."""
        return self.cases_opened + self.cases_reopened - self.resolutions


COUNTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Counters))


def sum_counters(parts: list[Counters] | tuple[Counters, ...]) -> Counters:
    total = Counters()
    for part in parts:
        total = total + part
    return total


def answer_counters(*, csat: int | None, nps: int | None, ces: int | None) -> Counters:
    """What one survey answer adds; a skipped question adds nothing to its KPI."""
    return Counters(
        surveys_answered=1,
        csat_answers=int(csat is not None),
        csat_satisfied=int(csat is not None and csat in SATISFIED_CSAT),
        nps_answers=int(nps is not None),
        nps_promoters=int(nps is not None and nps >= PROMOTER_NPS_AT_LEAST),
        nps_detractors=int(nps is not None and nps <= DETRACTOR_NPS_AT_MOST),
        ces_answers=int(ces is not None),
        ces_sum=ces or 0,
    )


def survey_requested_counters() -> Counters:
    return Counters(surveys_requested=1)


def survey_undelivered_counters() -> Counters:
    return Counters(surveys_undelivered=1)


def survey_delivered_after_all_counters() -> Counters:
    """A survey counted undelivered was answered: it reached the customer after all."""
    return Counters(surveys_undelivered=-1)


def first_response_counters(*, seconds: float) -> Counters:
    return Counters(first_responses=1, first_response_ms_sum=to_milliseconds(seconds))


def resolution_counters(*, seconds: float, first_contact: bool) -> Counters:
    return Counters(
        resolutions=1,
        resolution_ms_sum=to_milliseconds(seconds),
        first_contact_resolutions=int(first_contact),
    )


def sla_counters(*, achieved: bool) -> Counters:
    return Counters(sla_achieved=int(achieved), sla_breached=int(not achieved))


def case_opened_counters() -> Counters:
    return Counters(cases_opened=1)


def case_reopened_counters() -> Counters:
    return Counters(cases_reopened=1)


def to_milliseconds(seconds: float) -> int:
    return max(0, round(seconds * 1000))


@dataclass(frozen=True)
class Kpis:
    """The standard KPIs; ``None`` where the slice has nothing to compute them from."""

    csat_percent: float | None
    nps: float | None
    ces: float | None
    response_rate_percent: float | None
    first_response_seconds: float | None
    resolution_seconds: float | None
    first_contact_resolution_percent: float | None
    sla_attainment_percent: float | None
    backlog: int | None
    surveys_requested: int
    surveys_answered: int
    surveys_undelivered: int
    resolutions: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


KPI_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Kpis))


def compute_kpis(counters: Counters, *, open_before: int | None = None) -> Kpis:
    """Apply the formulas; ``open_before`` is the backlog at the start of the slice.

    Backlog is only meaningful where cases are counted on arrival (all, region, channel);
    the caller passes ``None`` for agent and team slices.
    """
    c = counters
    return Kpis(
        csat_percent=percent(c.csat_satisfied, c.csat_answers),
        nps=nps_score(
            promoters=c.nps_promoters, detractors=c.nps_detractors, answers=c.nps_answers
        ),
        ces=mean(c.ces_sum, c.ces_answers),
        response_rate_percent=percent(
            c.surveys_answered, max(0, c.surveys_requested - c.surveys_undelivered)
        ),
        first_response_seconds=mean_seconds(c.first_response_ms_sum, c.first_responses),
        resolution_seconds=mean_seconds(c.resolution_ms_sum, c.resolutions),
        first_contact_resolution_percent=percent(c.first_contact_resolutions, c.resolutions),
        sla_attainment_percent=percent(c.sla_achieved, c.sla_achieved + c.sla_breached),
        backlog=None if open_before is None else open_before + c.backlog_change,
        surveys_requested=c.surveys_requested,
        surveys_answered=c.surveys_answered,
        surveys_undelivered=c.surveys_undelivered,
        resolutions=c.resolutions,
    )


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def mean(total: int, count: int) -> float | None:
    return None if count == 0 else total / count


def mean_seconds(total_ms: int, count: int) -> float | None:
    return None if count == 0 else total_ms / count / 1000.0


def nps_score(*, promoters: int, detractors: int, answers: int) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100."""
    return None if answers == 0 else 100.0 * (promoters - detractors) / answers
