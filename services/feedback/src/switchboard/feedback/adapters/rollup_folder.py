"""Folds the roll-up deltas that answers and case events write into the roll-ups: a batch
per transaction for as long as there are full batches, then a short pause. Reads add the
deltas not folded yet, so the pause delays no KPI; it only bounds how many rows a read
scans besides the roll-ups."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.feedback.adapters.rollup_store import fold_deltas
from switchboard.servicekit.stalls import StallWatch


class RollupFolder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        batch: int = 5_000,
        pause_seconds: float = 0.25,
    ) -> None:
        self._sessions = sessions
        self._batch = batch
        self._pause = pause_seconds
        self._stopping = asyncio.Event()
        self.stall = StallWatch("roll-up folder", first_pause=pause_seconds)

    async def fold_once(self) -> int:
        """Fold one batch; how many deltas it moved."""
        async with self._sessions() as session, session.begin():
            return await fold_deltas(session, batch=self._batch)

    async def run(self) -> None:
        while not self._stopping.is_set():
            folded = await self.stall.attempt(self.fold_once)
            if (folded or 0) < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.stall.pause(self._pause))

    def stop(self) -> None:
        self._stopping.set()
