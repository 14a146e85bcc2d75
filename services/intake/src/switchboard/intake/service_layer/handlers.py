"""The events intake handles. The other events on their topics are not intake's business
and are passed over."""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.contracts.base import Event
from switchboard.contracts.events import CaseResolved
from switchboard.intake.service_layer.resolutions import record_resolution
from switchboard.servicekit.consumer import Handler

EVENT_HANDLERS: Mapping[type[Event], Handler] = {CaseResolved: record_resolution}
