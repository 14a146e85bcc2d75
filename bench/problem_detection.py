"""Shared problems across regions, evaluated on simulated days (issue 18, item 3).

The simulator's days of contacts (the demo world's regions, languages and ordinary
messages) with cross-region incidents injected — the same problem worded differently in
three or more languages and two or three regions — and local ones (one region only, not a
shared problem), run in simulated time through escalation's detector with the FreeDict
pivot lexicon installed on this machine. Prints precision, recall (detected within ten
simulated minutes of onset), detection delay and false problems per day, checks them
against the issue's targets (✓/✗) and ends with "RESULT problem_detection: ok" once it has
measured, as every bench does; ``--strict`` exits 1 when a target is missed.

A detection is true when most of its example contacts belong to one cross-region incident
not detected before; anything else (background, a local incident, a second detection of
the same incident) is a false problem.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stats import verdict

from switchboard.escalation.adapters.freedict import cached_lexicon
from switchboard.escalation.domain.problem_detection import (
    Contact,
    DetectorSettings,
    ProblemDetector,
)
from switchboard.simulator.incidents import plan_incidents, traffic

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "problem-lexicon.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--cross-per-day", type=int, default=5)
    parser.add_argument("--local-per-day", type=int, default=1)
    parser.add_argument("--contacts-per-day", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--min-contacts", type=int, default=DetectorSettings.min_contacts)
    parser.add_argument("--min-z", type=float, default=DetectorSettings.min_z)
    parser.add_argument("--min-ratio", type=float, default=DetectorSettings.min_ratio)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--smoke", action="store_true", help="two days, a few incidents")
    args = parser.parse_args()
    if args.smoke:
        args.days, args.cross_per_day = 2, 3
    began = time.monotonic()
    lexicon = cached_lexicon(CACHE)
    print(
        f"lexicon: {sum(map(len, lexicon.pivots.values()))} stems in {sorted(lexicon.pivots)}"
        f" ({time.monotonic() - began:.1f} s)"
    )
    rng = random.Random(args.seed)
    start = datetime(2026, 12, 7, tzinfo=UTC)
    incidents = plan_incidents(
        rng,
        days=args.days,
        start=start,
        cross_per_day=args.cross_per_day,
        local_per_day=args.local_per_day,
    )
    by_id = {i.incident_id: i for i in incidents}
    detector = ProblemDetector(
        DetectorSettings(min_contacts=args.min_contacts, min_z=args.min_z, min_ratio=args.min_ratio)
    )
    detections = []
    origin: dict[str, str | None] = {}
    contacts = 0
    for sim in traffic(
        rng,
        days=args.days,
        start=start,
        contacts_per_day=args.contacts_per_day,
        incidents=incidents,
    ):
        contacts += 1
        origin[sim.contact_id] = sim.incident_id
        contact = Contact(
            sim.contact_id,
            sim.at,
            sim.region,
            sim.language,
            lexicon.terms(sim.language, sim.text),
            sim.text,
        )
        detections.extend(detector.observe(contact))
    matched: dict[str, timedelta] = {}
    false = []
    for detection in detections:
        votes = Counter(origin[c.contact_id] for c in detection.examples)
        incident_id, _ = votes.most_common(1)[0]
        incident = by_id.get(incident_id) if incident_id else None
        if incident is None or not incident.cross_region or incident_id in matched:
            false.append((detection, incident_id))
            continue
        matched[incident.incident_id] = detection.detected_at - incident.onset
        print(
            f"  {incident.incident_id} {incident.kind:22} {','.join(incident.regions):22} "
            f"after {matched[incident.incident_id].total_seconds() / 60:4.1f} min: "
            f"{' '.join(detection.terms)} {detection.counts}"
        )
    for detection, incident_id in false:
        print(
            f"  FALSE ({incident_id or 'background'}) at {detection.detected_at:%d %H:%M}: "
            f"{' '.join(detection.terms)} {detection.counts}"
        )
    cross = [i for i in incidents if i.cross_region]
    for incident in cross:
        if incident.incident_id not in matched:
            print(
                f"  MISSED {incident.incident_id} {incident.kind:22} "
                f"{','.join(incident.regions):22} {incident.per_minute:.2f}/min per region"
            )
    in_time = [
        i
        for i in cross
        if i.incident_id in matched and matched[i.incident_id] <= timedelta(minutes=10)
    ]
    precision = (len(detections) - len(false)) / len(detections) if detections else 0.0
    recall = len(in_time) / len(cross) if cross else 0.0
    delays = sorted(d.total_seconds() / 60 for d in matched.values())
    per_day = len(false) / args.days
    print(
        f"{args.days} simulated days, {contacts} contacts, {len(cross)} cross-region incidents "
        f"(+{len(incidents) - len(cross)} local), {len(detections)} problems detected"
    )
    print(
        f"precision {precision:.3f}  recall within 10 min {recall:.3f}  "
        f"false problems/day {per_day:.2f}"
    )
    if delays:
        print(f"delay minutes: median {delays[len(delays) // 2]:.1f}, max {delays[-1]:.1f}")
    print(f"ran in {time.monotonic() - began:.1f} s")
    targets = {
        "incidents ≥ 20": len(cross) >= 20 or args.smoke,
        "precision ≥ 0.9": precision >= 0.9,
        "recall ≥ 0.9": recall >= 0.9,
        "≤ 1 false problem per day": per_day <= 1.0,
    }
    return verdict("problem_detection", targets, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
