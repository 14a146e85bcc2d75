"""Routing as servicekit builds it: its dependencies and its definition.

Nothing is built at import time: ``dependencies`` runs when the service is assembled, and
builds the offer loop before anything that uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import AGENT_STATUS, ASSIGNMENTS, STAFFING
from switchboard.routing.adapters.membership import Membership
from switchboard.routing.adapters.orm import Base
from switchboard.routing.adapters.policy_file import read_policy_file
from switchboard.routing.adapters.pool_notices import PoolNotices
from switchboard.routing.adapters.revisions import wake_on_change
from switchboard.routing.domain.policy import PolicySet, catch_all_policy, policy_set_from_data
from switchboard.routing.domain.pool_staffing import ServiceTarget
from switchboard.routing.domain.wait_forecast import Tolerance
from switchboard.routing.migrations import VERSIONS_DIR
from switchboard.routing.service_layer.handlers import (
    BATCH_EVENT_HANDLERS,
    EVENT_HANDLERS,
    TIMER_HANDLERS,
)
from switchboard.routing.service_layer.offers.loop import OfferLoop
from switchboard.routing.service_layer.offers.writer import OfferWriter
from switchboard.routing.service_layer.policies import store_policy_file
from switchboard.routing.service_layer.staffing import start_staffing_checks
from switchboard.routing.service_layer.unit_of_work import (
    ForecastPlan,
    PoliciesInForce,
    RoutingDeps,
    StaffingPlan,
)
from switchboard.routing.service_layer.wait_forecasts import start_wait_forecasts
from switchboard.routing.settings import RoutingSettings, StaffingTarget
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition
from switchboard.servicekit.service.definition import StartStep


def dependencies(settings: RoutingSettings, resources: Resources) -> RoutingDeps:
    document = read_policy_file(settings.policies_file) if settings.policies_file else None
    policies = PoliciesInForce(
        policy_set_from_data(document)
        if document
        else PolicySet(policies=(), default=catch_all_policy())
    )
    sharded = settings.pool_sharding
    offer_loop = OfferLoop(
        sessions=resources.sessions,
        policies=policies,
        writer=OfferWriter(replica=settings.replica_name),
        replica=settings.replica_name,
        sync_seconds=settings.sync_seconds,
        offers_per_transaction=settings.offers_per_transaction,
        membership=Membership(
            sessions=resources.sessions,
            replica=settings.replica_name,
            heartbeat_seconds=settings.heartbeat_seconds,
        )
        if sharded
        else None,
        notices=PoolNotices(resources.engine) if sharded else None,
    )
    wake_on_change(resources.sessions, offer_loop.wake)
    return RoutingDeps(
        policies=policies,
        pool_by_department=settings.pool_by_department,
        preferred_agent_for=timedelta(seconds=settings.preferred_agent_seconds),
        offers=offer_loop,
        sessions=resources.sessions,
        policy_file=document,
        staffing=staffing_plan(settings),
        personal_keys=personal_keys(settings),
        forecasts=ForecastPlan(
            check_every=timedelta(seconds=settings.wait_forecast_check_seconds),
            window=timedelta(seconds=settings.wait_forecast_window_seconds),
            least_span=timedelta(
                seconds=min(
                    settings.wait_forecast_least_span_seconds,
                    settings.wait_forecast_window_seconds,
                )
            ),
            tolerance=Tolerance(
                settings.wait_forecast_tolerance_seconds, settings.wait_forecast_tolerance_share
            ),
        ),
    )


def personal_keys(settings: RoutingSettings) -> PersonalKeys | None:
    if settings.intake_url is None:
        return None
    return PersonalKeys(
        url=f"{settings.intake_url.rstrip('/')}/v1/personal-keys/{{key_id}}",
        token=settings.service_token(),
    )


def staffing_plan(settings: RoutingSettings) -> StaffingPlan:
    def target(setting: StaffingTarget) -> ServiceTarget:
        return ServiceTarget(setting.share, setting.answer_seconds, setting.max_occupancy)

    return StaffingPlan(
        interval=timedelta(seconds=settings.staffing_interval_seconds),
        check_every=timedelta(seconds=settings.staffing_check_seconds),
        handle_lookback=timedelta(seconds=settings.staffing_handle_lookback_seconds),
        default_handle_seconds=settings.staffing_default_handle_seconds,
        forecast_intervals=settings.staffing_forecast_intervals,
        forecast_days=settings.staffing_forecast_days,
        target=target(settings.staffing_target),
        pool_targets={pool: target(t) for pool, t in settings.staffing_pool_targets.items()},
    )


def workers(deps: RoutingDeps) -> Sequence[Worker]:
    return [deps.offers]


def start_steps(deps: RoutingDeps) -> Sequence[StartStep]:
    return [
        partial(store_policy_file, deps),
        partial(start_staffing_checks, deps),
        partial(start_wait_forecasts, deps),
    ]


DEFINITION = ServiceDefinition(
    name="routing",
    settings=RoutingSettings,
    migrations=Migrations(VERSIONS_DIR, Base.metadata),
    registry=REGISTRY,
    dependencies=dependencies,
    writes=(ASSIGNMENTS, AGENT_STATUS, STAFFING),
    handlers=EVENT_HANDLERS,
    batch_handlers=BATCH_EVENT_HANDLERS,
    timers=TIMER_HANDLERS,
    workers=workers,
    start_steps=start_steps,
)
