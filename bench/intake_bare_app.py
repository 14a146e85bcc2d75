"""The benchmark's baseline: a bare FastAPI endpoint that validates intake's chat model and
inserts one row per contact, committing the way intake does: the contacts that arrive while
a transaction is being written share the next one (up to ``BENCH_ACCEPT_BATCH``, intake's
``accept_batch_size``), one INSERT and one COMMIT per batch, each request answered only after
the commit that holds its row. Run by bench/intake_accept.py with uvicorn workers; not part of
intake."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import JSON, Column, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.intake.domain.contacts import ChatContact
from switchboard.servicekit.db import create_engine

metadata = MetaData()
rows = Table(
    "bench_rows",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("body", JSON, nullable=False),
)


class GroupCommit:
    """Intake's group commit (``AcceptBatcher``) without intake: one worker drains the queue,
    up to ``max_batch`` rows per transaction; an idle endpoint commits each row alone."""

    def __init__(self, engine: AsyncEngine, max_batch: int) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] = asyncio.Queue()

    async def add(self, row: dict[str, Any]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((row, done))
        await done

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._engine.begin() as connection:
                    await connection.execute(insert(rows), [row for row, _ in batch])
            except Exception as error:
                for _, done in batch:
                    done.set_exception(error)
            else:
                for _, done in batch:
                    done.set_result(None)


def create() -> FastAPI:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    commits = GroupCommit(engine, int(os.environ.get("BENCH_ACCEPT_BATCH", "64")))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        worker = asyncio.create_task(commits.run())
        yield
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/contacts")
    async def accept(request: Request) -> JSONResponse:
        try:
            contact = ChatContact.model_validate_json(await request.body())
        except ValidationError as error:
            return JSONResponse({"errors": error.errors(include_url=False)}, status_code=422)
        row_id = str(uuid.uuid4())
        await commits.add({"id": row_id, "body": contact.model_dump(mode="json")})
        return JSONResponse({"id": row_id}, status_code=202)

    return app
