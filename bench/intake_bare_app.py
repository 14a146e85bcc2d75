"""The benchmark's baseline: a bare FastAPI endpoint that validates intake's chat model and
inserts one row. Run by bench/intake_accept.py with uvicorn workers; not part of intake."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import JSON, Column, MetaData, String, Table, insert

from switchboard.intake.domain.contacts import ChatContact
from switchboard.servicekit.db import create_engine

metadata = MetaData()
rows = Table(
    "bench_rows",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("body", JSON, nullable=False),
)


def create() -> FastAPI:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield
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
        async with engine.begin() as connection:
            await connection.execute(
                insert(rows).values(id=row_id, body=contact.model_dump(mode="json"))
            )
        return JSONResponse({"id": row_id}, status_code=202)

    return app
