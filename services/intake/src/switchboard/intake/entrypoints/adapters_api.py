"""Admin API for channel adapters: register, rotate a secret, enable or disable, list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from fastapi import APIRouter, Path
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from switchboard.intake.domain.channel_adapters import (
    ADAPTER_ID,
    AdapterSpec,
    AnyCredential,
    OutboundUrl,
    valid_bot_token,
)
from switchboard.intake.domain.telegram_sends import BOT_TOKEN, TelegramBot
from switchboard.intake.entrypoints.dependencies import (
    AdminDep,
    IntakeServiceDep,
    SessionDep,
    UnitOfWorkDep,
)
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.service_layer.channel_adapters import (
    AdapterExists,
    NotForThisAdapter,
    UnknownAdapter,
)
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork
from switchboard.servicekit.http import Problem, problems

router = APIRouter(prefix="/v1/admin", tags=["admin"])
AdapterId = Annotated[str, Path(pattern=ADAPTER_ID)]


class AdapterChanges(BaseModel):
    """What an operator changes on an adapter: enabled, its outbound address (null removes it),
    its provider's credentials (a Telegram adapter's ``bot_token``: a new one from
    BotFather)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"minProperties": 1, "not": {"required": ["bot_token", "credentials"]}},
    )
    enabled: StrictBool | SkipJsonSchema[None] = None
    outbound_url: OutboundUrl | None = None
    credentials: AnyCredential | SkipJsonSchema[None] = None
    bot_token: SecretStr | SkipJsonSchema[None] = Field(
        default=None, json_schema_extra={"pattern": BOT_TOKEN}
    )

    _bot_token = field_validator("bot_token")(valid_bot_token)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give enabled, outbound_url, credentials and/or bot_token")
        for name in ("enabled", "credentials", "bot_token"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if self.bot_token is not None and self.credentials is not None:
            raise ValueError("give the bot token once: bot_token or credentials")
        return self

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in self.model_fields_set & {"enabled", "outbound_url", "credentials"}
        }
        if self.bot_token is not None:
            changes["credentials"] = TelegramBot(bot_token=self.bot_token)
        return changes


@router.get("/adapters")
async def list_adapters(
    session: SessionDep, service: IntakeServiceDep, _: AdminDep
) -> list[dict[str, Any]]:
    views = await channel_adapters.list_adapters(session=session, box=service.deps.secret_box)
    return [view.public() for view in views]


@router.post(
    "/adapters",
    status_code=201,
    responses=problems(reasons={409: "An adapter with this id exists"}),
)
async def register_adapter(spec: AdapterSpec, uow: UnitOfWorkDep, _: AdminDep) -> dict[str, Any]:
    """Register an adapter; its signing secret is in this answer only."""
    try:
        view, secret = await channel_adapters.register_adapter(
            session=uow.session, box=uow.deps.secret_box, spec=spec, now=datetime.now(UTC)
        )
    except AdapterExists as error:
        raise Problem(409, f"adapter {spec.id!r} already exists") from error
    return view.public() | {"secret": secret}


@router.post("/adapters/{adapter_id}/rotate-secret")
async def rotate_secret(adapter_id: AdapterId, uow: UnitOfWorkDep, _: AdminDep) -> dict[str, Any]:
    """A new secret; the previous one stays valid for the configured grace period."""
    try:
        view, secret = await channel_adapters.rotate_secret(
            session=uow.session,
            box=uow.deps.secret_box,
            adapter_id=adapter_id,
            grace=uow.deps.previous_secret_grace,
            now=datetime.now(UTC),
        )
    except UnknownAdapter as error:
        raise Problem(404, f"no adapter {adapter_id!r}") from error
    _forget_once_committed(uow, adapter_id)
    return view.public() | {"secret": secret}


@router.patch("/adapters/{adapter_id}")
async def change_adapter(
    adapter_id: AdapterId, changes: AdapterChanges, uow: UnitOfWorkDep, _: AdminDep
) -> dict[str, Any]:
    try:
        view = await channel_adapters.change_adapter(
            session=uow.session,
            box=uow.deps.secret_box,
            adapter_id=adapter_id,
            changes=changes.changes(),
            grace=uow.deps.previous_secret_grace,
            now=datetime.now(UTC),
        )
    except UnknownAdapter as error:
        raise Problem(404, f"no adapter {adapter_id!r}") from error
    except NotForThisAdapter as error:
        raise Problem(422, f"adapter {adapter_id!r} takes no {error}") from error
    _forget_once_committed(uow, adapter_id)
    return view.public()


def _forget_once_committed(uow: IntakeUnitOfWork, adapter_id: str) -> None:
    """Drop the cached adapter only after the change commits: read earlier, the old row
    would be cached again."""
    adapters = uow.deps.adapters
    uow.after_commit(lambda: adapters.forget(adapter_id))
