"""What routing does with each event it reads and each of its timers."""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    CaseOpened,
    CaseReopened,
    CustomerErasureRequested,
    CustomerMerged,
    ReplyPosted,
)
from switchboard.routing.service_layer.cases import (
    queue_opened_cases,
    requeue_reopened_case,
    review_case,
)
from switchboard.routing.service_layer.customer_erasure import erase_customer
from switchboard.routing.service_layer.customers import merge_customers
from switchboard.routing.service_layer.offers.answers import expire_offer
from switchboard.routing.service_layer.staffing import check_staffing
from switchboard.routing.service_layer.timer_kinds import (
    OFFER_TIMER,
    REVIEW_TIMER,
    STAFFING_TIMER,
    WAIT_FORECAST_TIMER,
)
from switchboard.routing.service_layer.wait_forecasts import check_waits
from switchboard.routing.service_layer.work import record_posted_reply
from switchboard.servicekit.consumer import BatchHandler, Handler
from switchboard.servicekit.timers import TimerHandler

EVENT_HANDLERS: Mapping[type[Event], Handler] = {
    CaseReopened: requeue_reopened_case,
    ReplyPosted: record_posted_reply,
    CustomerMerged: merge_customers,
    CustomerErasureRequested: erase_customer,
}
BATCH_EVENT_HANDLERS: Mapping[type[Event], BatchHandler] = {CaseOpened: queue_opened_cases}
TIMER_HANDLERS: Mapping[str, TimerHandler] = {
    OFFER_TIMER: expire_offer,
    REVIEW_TIMER: review_case,
    STAFFING_TIMER: check_staffing,
    WAIT_FORECAST_TIMER: check_waits,
}
