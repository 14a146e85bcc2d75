"""Adapter secrets are stored sealed: the database alone does not give them away; key
rotation and secrets stored in plain text by older versions are re-sealed at start."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import insert, select

from switchboard.intake.adapters.adapter_directory import AdapterDirectory
from switchboard.intake.adapters.orm import AdapterRow
from switchboard.intake.adapters.secret_box import SEALED, SecretBox, SecretBoxError, new_key
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import migrate

OLD, NEW = new_key(), new_key()


def test_a_sealed_secret_opens_and_does_not_show_the_secret():
    box = SecretBox([OLD])
    sealed = box.seal("whsec_abc123")
    assert sealed.startswith(SEALED)
    assert "abc123" not in sealed
    assert box.open(sealed) == "whsec_abc123"
    assert box.seal("whsec_abc123") != sealed, "each seal is freshly randomised"


def test_the_first_key_seals_and_every_key_opens():
    sealed_under_old = SecretBox([OLD]).seal("s3cret")
    rotating = SecretBox([NEW, OLD])
    assert rotating.open(sealed_under_old) == "s3cret"
    assert rotating.needs_resealing(sealed_under_old)
    resealed = rotating.reseal(sealed_under_old)
    assert not rotating.needs_resealing(resealed)
    assert SecretBox([NEW]).open(resealed) == "s3cret"


def test_a_secret_no_key_opens_is_a_clear_error():
    with pytest.raises(SecretBoxError, match="no configured adapter secret key opens"):
        SecretBox([NEW]).open(SecretBox([OLD]).seal("s3cret"))
    with pytest.raises(SecretBoxError, match="stored unsealed"):
        SecretBox([NEW]).open("whsec_plain")


def test_keys_that_are_no_fernet_keys_are_refused_with_their_position():
    with pytest.raises(SecretBoxError, match="key #2 is not a Fernet key"):
        SecretBox.from_setting(f"{NEW},not-a-key")
    with pytest.raises(ValidationError, match="key #1 is not a Fernet key"):
        IntakeSettings.load(adapter_secret_keys=SecretStr("short"))


def test_production_refuses_the_development_key():
    with pytest.raises(ValidationError, match="adapter_secret_keys must be real keys"):
        IntakeSettings.load(
            environment="production",
            database_url="postgresql+asyncpg://db/intake",
            jwt_secret="a-real-secret-of-more-than-thirty-two-characters",
        )


@pytest.fixture
async def sessions(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/intake.db"
    schema = DEFINITION.migrations
    await migrate(url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def stored(sessions, adapter_id: str) -> tuple[str, str | None]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(AdapterRow.current_secret, AdapterRow.previous_secret).where(
                    AdapterRow.id == adapter_id
                )
            )
        ).one()
    return row[0], row[1]


async def test_the_database_holds_only_sealed_secrets_and_the_directory_opens_them(sessions):
    box = SecretBox([NEW])
    async with sessions() as session, session.begin():
        _, first = await channel_adapters.register_adapter(
            session=session,
            spec=AdapterSpec(id="chat", channel="chat"),
            box=box,
            now=datetime.now(UTC),
        )
    async with sessions() as session, session.begin():
        _, second = await channel_adapters.rotate_secret(
            session=session,
            adapter_id="chat",
            box=box,
            grace=timedelta(hours=1),
            now=datetime.now(UTC),
        )
    current, previous = await stored(sessions, "chat")
    assert first not in current + str(previous)
    assert second not in current + str(previous)
    view = await AdapterDirectory(sessions, box=box, ttl_seconds=0).get("chat")
    assert view is not None
    assert view.secrets_in_use(datetime.now(UTC)) == (second, first)


async def test_start_seals_plain_text_and_reseals_under_a_new_first_key(sessions):
    async with sessions() as session, session.begin():
        await session.execute(
            insert(AdapterRow).values(
                id="legacy",
                channel="email",
                current_secret="whsec_legacy",
                enabled=True,
                created_at=datetime.now(UTC),
            )
        )
        _, secret = await channel_adapters.register_adapter(
            session=session,
            spec=AdapterSpec(id="chat", channel="chat"),
            box=SecretBox([OLD]),
            now=datetime.now(UTC),
        )
    rotating = SecretBox([NEW, OLD])
    assert await channel_adapters.seal_stored_secrets(sessions=sessions, box=rotating) == 2
    assert await channel_adapters.seal_stored_secrets(sessions=sessions, box=rotating) == 0, (
        "done once is done"
    )
    only_new = SecretBox([NEW])
    assert only_new.open((await stored(sessions, "legacy"))[0]) == "whsec_legacy"
    assert only_new.open((await stored(sessions, "chat"))[0]) == secret


async def test_a_start_without_the_sealing_key_stops_with_a_clear_error(sessions):
    async with sessions() as session, session.begin():
        await channel_adapters.register_adapter(
            session=session,
            spec=AdapterSpec(id="chat", channel="chat"),
            box=SecretBox([OLD]),
            now=datetime.now(UTC),
        )
    with pytest.raises(SecretBoxError, match="no configured adapter secret key opens"):
        await channel_adapters.seal_stored_secrets(sessions=sessions, box=SecretBox([NEW]))
