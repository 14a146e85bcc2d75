"""The detector of one escalation process, fed from the table of contacts every replica
writes: before it looks at a new contact it reads the rows added since it last looked, so
it counts every replica's contacts (an id it passed over, whose transaction had not
committed yet, is looked for again for a while), and after a restart it rebuilds its
window and baseline from the table (and its active problems from the problems table).
What a transaction that rolled back made it count or take for told is not kept: it
rebuilds the same way."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters import problems as store
from switchboard.escalation.adapters.freedict import DICTD, cached_lexicon
from switchboard.escalation.domain.problem_detection import (
    Contact,
    Detection,
    DetectorSettings,
    ProblemDetector,
)
from switchboard.escalation.domain.problem_terms import Lexicon

log = logging.getLogger(__name__)
GAP_GRACE_SECONDS = 60.0
"""How long an id below the last one read is looked for: a contact whose transaction
commits after a later one was read shows up within it; a rolled-back insert never does."""
MAX_GAPS = 1000
LEXICON_LOADED = Gauge(
    "escalation_problem_lexicon_loaded",
    "1 once the problem lexicon is loaded; 0 while it is not (or failed: see the log)",
)


@functools.cache
def _shared_lexicon(cache: Path, dictionaries: Path) -> Lexicon:
    return cached_lexicon(cache, dictionaries)


@dataclass
class ProblemWatch:
    lexicon_cache: Path
    dictionaries: Path = DICTD
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    lexicon: Lexicon | None = None
    detector: ProblemDetector | None = None
    last_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)
    """Ids below ``last_id`` not read yet → when they were first missed (``clock``)."""
    clock: Callable[[], float] = time.monotonic
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _loading: asyncio.Task[None] | None = None
    _stale: bool = False

    async def load_lexicon(self) -> None:
        """The pivot lexicon (built once from the installed dictionaries and cached in a
        file; shared by the process's watches)."""
        if self.lexicon is None:
            self.lexicon = await asyncio.to_thread(
                _shared_lexicon, self.lexicon_cache, self.dictionaries
            )
            log.info("problem lexicon: %s languages", len(self.lexicon.pivots))
        LEXICON_LOADED.set(1)

    async def start_loading(self) -> None:
        """A start step that does not hold the start up: building the lexicon on a fresh
        machine takes a minute. Until it is there, contacts count under their own stems."""
        LEXICON_LOADED.set(0)
        self._loading = asyncio.create_task(self.load_lexicon())
        self._loading.add_done_callback(self._loaded)

    def _loaded(self, loading: asyncio.Task[None]) -> None:
        """Nobody awaits the loading: a failure is told here, or it would go unseen while
        contacts count under their own stems for as long as the process runs."""
        if loading.cancelled():
            return
        if (error := loading.exception()) is not None:
            log.error(
                "problem lexicon not loaded: problems group by shared words only",
                exc_info=error,
            )

    def terms(self, language: str, text: str) -> frozenset[str]:
        return (self.lexicon or Lexicon()).terms(language, text)

    def rebuild_later(self) -> None:
        """A transaction that fed the detector did not commit: what it counted, and the
        problems it took for told, are not in the tables. The next look starts afresh from
        them (a coroutine looking right now finishes with the detector it has)."""
        self._stale = True

    async def catch_up(self, session: AsyncSession, *, now: datetime) -> list[Detection]:
        """Feed the detector every contact written since it last looked; what they raised."""
        async with self._lock:
            if self._stale:
                self.detector, self.last_id, self._stale = None, 0, False
            if self.detector is None:
                self.detector, self.gaps = ProblemDetector(self.settings), {}
                for known in await store.recent_problems(session, limit=200):
                    self.detector.track(
                        known.problem_id, known.terms, known.regions, known.detected_at
                    )
            since = now - self.settings.baseline - self.settings.window
            detections: list[Detection] = []
            self._expire_gaps()
            rows = await store.contacts_after(
                session, self.last_id, since=since, missing=sorted(self.gaps)
            )
            for row in rows:
                if self.gaps.pop(row.id, None) is None:
                    if row.id <= self.last_id:
                        continue
                    if self.last_id:
                        self._note_gaps(self.last_id + 1, row.id)
                    self.last_id = row.id
                contact = Contact(
                    contact_id=row.contact_id,
                    at=row.at,
                    region=row.region,
                    language=row.language,
                    terms=frozenset(row.terms.split()),
                    text=row.excerpt,
                )
                detections.extend(self.detector.observe(contact))
            return detections

    def _note_gaps(self, first: int, end: int) -> None:
        """Ids ``first`` to ``end`` (without it) were skipped: uncommitted, or never to be."""
        noticed = self.clock()
        for missing in range(max(first, end - MAX_GAPS), end):
            self.gaps[missing] = noticed
        for oldest in list(self.gaps)[: max(0, len(self.gaps) - MAX_GAPS)]:
            del self.gaps[oldest]

    def _expire_gaps(self) -> None:
        horizon = self.clock() - GAP_GRACE_SECONDS
        self.gaps = {gap: noticed for gap, noticed in self.gaps.items() if noticed >= horizon}
