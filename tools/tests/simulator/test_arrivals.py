import random
import statistics

import pytest

from switchboard.simulator.arrivals import ArrivalProcess


def test_the_day_brings_the_expected_number_of_contacts_on_average():
    process = ArrivalProcess(300)
    counts = [len(process.hours(random.Random(seed))) for seed in range(200)]
    assert statistics.mean(counts) == pytest.approx(300, rel=0.03)
    assert statistics.pstdev(counts) == pytest.approx(300**0.5, rel=0.25)  # Poisson


def test_the_morning_peak_is_the_busiest_hour():
    process = ArrivalProcess(600)
    hours = [h for seed in range(50) for h in process.hours(random.Random(seed))]
    per_hour = [sum(1 for h in hours if start <= h < start + 1) for start in range(8, 18)]
    assert max(range(10), key=per_hour.__getitem__) in (1, 2)  # either side of 10:00
    assert per_hour[2] > 2 * per_hour[8]  # 10:00 against 16:00
    assert per_hour[6] > per_hour[8]  # the smaller bump after lunch


def test_the_rate_integrates_to_the_expected_count():
    process = ArrivalProcess(600)
    assert process.expected_between(8, 18) == pytest.approx(600)
    assert process.rate(10) > process.rate(8)
    assert process.rate(10) > process.rate(17)
    assert all(process.rate(8 + i / 10) <= process.peak for i in range(101))


def test_a_seed_gives_the_same_day_and_another_seed_another():
    process = ArrivalProcess(100)
    first = process.hours(random.Random(42))
    assert first == process.hours(random.Random(42))
    assert first != process.hours(random.Random(43))
    assert first == sorted(first)
    assert all(8 <= h < 18 for h in first)


def test_nonsense_is_refused():
    with pytest.raises(ValueError):
        ArrivalProcess(0)
