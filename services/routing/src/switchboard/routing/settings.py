"""Routing's settings: read from ``SWITCHBOARD_ROUTING_*`` (Kafka's address unprefixed)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import SettingsConfigDict

from switchboard.servicekit.auth import BearerServiceSettings


class StaffingTarget(BaseModel):
    """A pool's service-level target: ``share`` of its cases answered within
    ``answer_seconds``, by agents busy at most ``max_occupancy`` of their time."""

    share: float = Field(default=0.8, ge=0.0, lt=1.0)
    answer_seconds: float = Field(default=60.0, ge=0.0)
    max_occupancy: float = Field(default=1.0, gt=0.0, le=1.0)


class RoutingSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_ROUTING_", extra="ignore")

    service_name: str = "routing"
    database_url: str = "sqlite+aiosqlite:///./.data/routing.db"
    http_port: int = 8002
    policies_file: Path | None = None
    pool_by_department: bool = False
    """A pool is a region, or region and department when this is set."""
    preferred_agent_seconds: float = 60.0
    """How long a reopened case waits for the agent who last handled it."""
    sync_seconds: float = 0.05
    """Longest a replica goes without reading what changed: bounds how late it sees a case
    queued, or an agent freed, by another replica (its own changes wake it at once). An
    idle read is one small query."""
    consumer_records_per_transaction: int = Field(default=50, ge=1)
    """Consecutive case events handled in one transaction (one commit) under load."""
    timer_batch_size: int = 1
    """One timer per transaction: a batch would lock its timers' cases and agents in timer
    order, not in the (case, agent) order the offer writer uses."""
    offers_per_transaction: int = 100
    """Offers the offer loop commits together; a refused one costs only itself."""
    replica_name: str = Field(
        default_factory=lambda: f"routing-{socket.gethostname()}-{os.getpid()}"
    )
    """Unique per replica: it names the replica's heartbeat and the offers it made."""
    pool_sharding: bool = True
    """Live replicas share out the pools (each indexes its own); off: every replica all."""
    heartbeat_seconds: float = 2.0
    """How often a replica says it is alive; after three missed beats its pools move."""
    staffing_interval_seconds: float = Field(default=900.0, ge=60.0)
    """The staffing advisor's interval: arrivals are counted over the last one, and a
    pool is announced short or recovered at most once in each."""
    staffing_check_seconds: float = Field(default=60.0, gt=0.0)
    """How often the advisor looks at every pool."""
    staffing_handle_lookback_seconds: float = Field(default=3600.0, gt=0.0)
    """A pool's average handle time comes from its cases resolved this far back."""
    staffing_default_handle_seconds: float | None = Field(default=None, gt=0.0)
    """The handle time assumed for a pool none of whose cases was resolved in the
    lookback; unset, such a pool is not assessed."""
    staffing_forecast_intervals: int = Field(default=4, ge=0, le=96)
    """How many intervals ahead GET /v1/staffing forecasts each pool's staffing (0: none)."""
    staffing_forecast_days: int = Field(default=7, ge=1, le=28)
    """A forecast interval's arrivals: the mean of the same interval of day on this many
    past days (those routing has data for)."""
    staffing_target: StaffingTarget = StaffingTarget()
    """Every pool's service-level target, but those in ``staffing_pool_targets``."""
    staffing_pool_targets: dict[str, StaffingTarget] = Field(default_factory=dict)
    """Per pool (``nordics``, ``nordics/billing``...), a target of its own."""
    wait_forecast_check_seconds: float = Field(default=15.0, gt=0.0)
    """How often every waiting case's expected offer time is reckoned again."""
    wait_forecast_window_seconds: float = Field(default=900.0, ge=60.0)
    """A pool's pace is its offers accepted over this recent window, per minute."""
    wait_forecast_least_span_seconds: float = Field(default=300.0, gt=0.0)
    """...over the time since the first of them when that is shorter (a pool just being
    served), but never less than this (one early offer promises no rush)."""
    wait_forecast_tolerance_seconds: float = Field(default=30.0, ge=0.0)
    wait_forecast_tolerance_share: float = Field(default=0.2, ge=0.0)
    """A case's forecast is published again when it moves by more than the tolerance in
    seconds or this share of the wait last forecast, whichever is more."""
    workspace_intake_url: str = "http://127.0.0.1:8001"
    """Where the agent workspace's browser reaches intake (conversations, customers, replies)."""
    intake_url: str | None = None
    """Where routing asks intake for a customer's data key, to seal the free texts agents
    write about a case (a resolution note, a transfer or decline reason) in its events (a
    token it issues itself: the shared JWT secret, role admin); unset, they go out plain."""

    @field_validator("workspace_intake_url")
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8001")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must be a plain base URL, without query, fragment or credentials")
        return value.strip().rstrip("/")
