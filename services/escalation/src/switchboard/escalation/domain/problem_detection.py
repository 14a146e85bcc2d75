"""Problems across regions: terms of contacts' texts that rise in two or more regions at
once.

Every contact is reduced to its pivot terms (``problem_terms``). Per region and term the
detector counts the contacts of the sliding window and of the baseline before it; a term
rises in a region when the window holds at least ``min_contacts`` contacts with it, at
least ``min_ratio`` times what the term's share of the region's baseline contacts expects
of the window's contacts (so quiet nights and busy mornings change nothing), and ``min_z``
Poisson standard deviations above that. A term rising in ``min_regions`` regions at once
is a problem, unless an active problem has it already or it rose with one, or most of its
rise carries an active problem's terms or the terms that rose with it rising again: then
it joins that problem. The terms that rose with it in the same regions and contacts are
its explanation. In memory, no I/O: the service feeds it from its table of contacts.
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALL = ""
"""The term every contact counts under: the region's contacts."""


@dataclass(frozen=True)
class DetectorSettings:
    window: timedelta = timedelta(minutes=10)
    baseline: timedelta = timedelta(hours=24)
    warm_up: timedelta = timedelta(hours=1)
    """No detection until the contacts seen span this much (every term rises at first)."""
    min_contacts: int = 4
    min_ratio: float = 3.0
    min_z: float = 4.0
    min_regions: int = 2
    co_occurrence: float = 0.5
    signature_share: float = 0.2
    """A rising term joins an active problem found in at least this share of its contacts."""
    quiet: timedelta = timedelta(hours=1)
    """A problem none of whose terms rose for this long is over: its terms may start another."""
    max_terms: int = 8
    examples_per_language: int = 1


@dataclass(frozen=True)
class Contact:
    contact_id: str
    at: datetime
    region: str
    language: str
    terms: frozenset[str]
    text: str


@dataclass(frozen=True)
class Detection:
    """A new problem: the terms that rose, where, how many contacts, examples."""

    problem_id: str
    terms: tuple[str, ...]
    regions: tuple[str, ...]
    counts: dict[str, int]
    examples: tuple[Contact, ...]
    first_seen: datetime
    detected_at: datetime


@dataclass
class ActiveProblem:
    problem_id: str
    terms: set[str]
    regions: set[str]
    last_rise: datetime
    rose_with: set[str] = field(default_factory=set)
    """The terms typical of its contacts that were rising when it was detected."""
    signature: Counter[str] = field(default_factory=Counter)
    """Every term of the window's contacts that carried its terms when it was detected, and
    in how many (fixed then: a later problem sharing a word must not grow into it)."""
    contacts: int = 0

    def absorb(self, contact: Contact) -> None:
        if contact.terms & self.terms:
            self.signature.update(contact.terms)
            self.contacts += 1

    def typical(self, term: str, share: float) -> bool:
        return self.contacts > 0 and self.signature[term] >= share * self.contacts


def rises(window_count: int, expected: float, settings: DetectorSettings) -> bool:
    """Is ``window_count`` a burst over the ``expected`` count of the window?"""
    floor = max(expected, 1.0)
    return (
        window_count >= settings.min_contacts
        and window_count >= settings.min_ratio * expected
        and (window_count - expected) / math.sqrt(floor) >= settings.min_z
    )


@dataclass
class ProblemDetector:
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    started: datetime | None = None
    now: datetime | None = None
    _times: dict[tuple[str, str], deque[datetime]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _recent: deque[Contact] = field(default_factory=deque)
    active: dict[str, ActiveProblem] = field(default_factory=dict)
    new_id: Callable[[], str] = lambda: str(uuid.uuid4())
    _regions: set[str] = field(default_factory=set)

    def observe(self, contact: Contact) -> list[Detection]:
        """Count the contact; the problems it makes rise (usually none)."""
        self._count(contact)
        if self.started is None or self.now is None:
            return []
        if self.now - self.started < self.settings.warm_up + self.settings.window:
            return []
        detections: list[Detection] = []
        for term in sorted(contact.terms):
            regions = self.rising_regions(term)
            if contact.region not in regions or len(regions) < self.settings.min_regions:
                continue
            problem = self._problem_of(term, regions)
            if problem is not None:
                problem.regions |= regions
                problem.last_rise = self.now
                continue
            detection = self._detect(term, regions)
            detections.append(detection)
            self.track(detection.problem_id, detection.terms, regions, self.now)
            problem = self.active[detection.problem_id]
            for seen in self._window_contacts():
                problem.absorb(seen)
            share = self.settings.signature_share
            problem.rose_with = {
                t
                for t in problem.signature
                if t != ALL and problem.typical(t, share) and self.rising_regions(t)
            }
        return detections

    def track(
        self, problem_id: str, terms: Iterable[str], regions: Iterable[str], at: datetime
    ) -> None:
        """An active problem known from before (after a restart)."""
        self.active[problem_id] = ActiveProblem(problem_id, set(terms), set(regions), at)

    def rising_regions(self, term: str) -> set[str]:
        regions = set()
        for region in self._regions:
            window, baseline = self.counts(region, term)
            if window < self.settings.min_contacts:
                continue
            window_total, baseline_total = self.counts(region, ALL)
            if baseline_total == 0:
                continue
            expected = baseline / baseline_total * window_total
            if rises(window, expected, self.settings):
                regions.add(region)
        return regions

    def counts(self, region: str, term: str) -> tuple[int, int]:
        """Contacts with the term in the window and in the baseline before it."""
        assert self.now is not None
        times = self._times.get((region, term))
        if not times:
            return 0, 0
        since = self.now - self.settings.window
        in_window = 0
        for at in reversed(times):
            if at <= since:
                break
            in_window += 1
        return in_window, len(times) - in_window

    def _count(self, contact: Contact) -> None:
        """In time order, wherever it arrives (replicas and producers interleave)."""
        self.started = min(self.started or contact.at, contact.at)
        self.now = max(self.now or contact.at, contact.at)
        self._regions.add(contact.region)
        for term in (*contact.terms, ALL):
            times = self._times[(contact.region, term)]
            if times and times[-1] > contact.at:
                times.insert(bisect.bisect_right(times, contact.at), contact.at)
            else:
                times.append(contact.at)
        if self._recent and self._recent[-1].at > contact.at:
            at = bisect.bisect_right(self._recent, contact.at, key=lambda c: c.at)
            self._recent.insert(at, contact)
        else:
            self._recent.append(contact)
        self._forget()

    def _forget(self) -> None:
        assert self.now is not None
        horizon = self.now - self.settings.baseline - self.settings.window
        while self._recent and self._recent[0].at < horizon:
            old = self._recent.popleft()
            for term in (*old.terms, ALL):
                times = self._times[(old.region, term)]
                while times and times[0] < horizon:
                    times.popleft()
                if not times:
                    del self._times[(old.region, term)]
        over = self.now - self.settings.quiet
        for key in [k for k, p in self.active.items() if p.last_rise < over]:
            del self.active[key]

    def _window_contacts(self) -> list[Contact]:
        assert self.now is not None
        since = self.now - self.settings.window
        found = []
        for contact in reversed(self._recent):
            if contact.at <= since:
                break
            found.append(contact)
        return found[::-1]

    def _problem_of(self, term: str, regions: set[str]) -> ActiveProblem | None:
        """The active problem the term belongs to: it has the term, or most of the term's
        rise (its contacts above the expected count) carry the problem's terms."""
        for problem in self.active.values():
            if term in problem.terms or term in problem.rose_with:
                return problem
        if not self.active:
            return None
        with_term = [c for c in self._window_contacts() if term in c.terms and c.region in regions]
        excess = sum(self._excess(region, term) for region in regions)
        for problem in self.active.values():
            marks = problem.terms | self._rising_typical(problem)
            joint = sum(1 for c in with_term if c.terms & marks)
            if joint > 0 and joint >= self.settings.co_occurrence * excess:
                return problem
        return None

    def _rising_typical(self, problem: ActiveProblem) -> set[str]:
        """Terms that rose with the problem and are rising again now: another wording of
        the same problem shares them ("app" with "crash" and with "close")."""
        return {term for term in problem.rose_with if self.rising_regions(term)}

    def _excess(self, region: str, term: str) -> float:
        window, baseline = self.counts(region, term)
        window_total, baseline_total = self.counts(region, ALL)
        expected = baseline / baseline_total * window_total if baseline_total else 0.0
        return max(window - expected, 0.0)

    def _detect(self, term: str, regions: set[str]) -> Detection:
        assert self.now is not None
        about = [c for c in self._window_contacts() if term in c.terms and c.region in regions]
        companions: dict[str, int] = defaultdict(int)
        for contact in about:
            for other in contact.terms - {term}:
                companions[other] += 1
        terms = [term]
        for other, together in sorted(companions.items(), key=lambda kv: (-kv[1], kv[0])):
            if len(terms) >= self.settings.max_terms:
                break
            if together >= self.settings.co_occurrence * len(about) and (
                len(self.rising_regions(other) & regions) >= self.settings.min_regions
            ):
                terms.append(other)
        counts: dict[str, int] = defaultdict(int)
        examples: dict[tuple[str, str], list[Contact]] = defaultdict(list)
        chosen = set(terms)
        for contact in sorted(about, key=lambda c: -len(c.terms & chosen)):
            counts[contact.region] += 1
            shown = examples[(contact.region, contact.language)]
            if len(shown) < self.settings.examples_per_language:
                shown.append(contact)
        return Detection(
            problem_id=self.new_id(),
            terms=tuple(terms),
            regions=tuple(sorted(regions)),
            counts=dict(sorted(counts.items())),
            examples=tuple(c for shown in examples.values() for c in shown),
            first_seen=min(c.at for c in about),
            detected_at=self.now,
        )
