import random
from collections import Counter

import pytest
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from switchboard.simulator.plans import Planner
from switchboard.simulator.scenario import PEAK_BREAK, SPOKEN, build_world
from switchboard.simulator.texts import ANGRY, FOLLOW_UPS, MESSAGES

INTAKE_LANGUAGES = ("da", "de", "en", "fi", "fr", "nb", "pl", "sv")  # intake's default


def test_the_understaffed_region_has_a_third_of_the_agents_on_break_at_the_peak():
    world = build_world(run_id="t1", contacts=600, understaffed=frozenset({"dach"}))
    per_region = Counter(agent.region for agent in world.agents)
    assert per_region["dach"] * 3 <= per_region["france"]
    for agent in world.agents:
        on_break = not agent.shift.on_duty(sum(PEAK_BREAK) / 2)
        assert on_break == (agent.region == "dach" or agent.shift.start_hour > 10.5)


def test_region_codes_and_ids_are_unique_to_a_run():
    world = build_world(
        run_id="x9", contacts=200, understaffed=frozenset(), codes={"dach": "dach-x9"}
    )
    assert {a.region for a in world.agents} == {"nordics", "dach-x9", "france", "poland"}
    assert all(a.id.endswith("-x9") and a.id.isascii() for a in world.agents)
    assert len({a.id for a in world.agents}) == len(world.agents)


@pytest.mark.parametrize("hour", [8.0, 9.0, 10.25, 12.0, 15.5, 16.5, 17.9])
def test_every_language_of_a_staffed_region_is_spoken_by_someone_on_duty(hour):
    world = build_world(run_id="t2", contacts=200, understaffed=frozenset())
    for region in world.regions:
        on_duty = [a for a in world.agents if a.region == region.name and a.shift.on_duty(hour)]
        spoken = {language for agent in on_duty for language in agent.languages}
        assert set(region.languages) <= spoken, (region.name, hour)
        assert set(SPOKEN[region.name]) <= spoken


def test_a_seed_plans_the_same_contacts():
    def day(seed):
        world = build_world(run_id="t3", contacts=100, understaffed=frozenset())
        planner = Planner(world, random.Random(seed))
        plans = []
        for _ in range(300):
            plan = planner.plan(9.0)
            plan.payload(region_code=plan.region.name)  # as posted: an e-mail starts a thread
            plans.append((plan.region.name, plan.channel, plan.kind, plan.text))
        return plans

    assert day(5) == day(5)
    assert day(5) != day(6)
    kinds = Counter(kind for _, _, kind, _ in day(5))
    assert kinds["new"] > kinds["repeat"] > 0
    assert kinds["email_reply"] > 0


def test_an_email_reply_comes_from_a_customer_who_wrote_before():
    world = build_world(run_id="t4", contacts=100, understaffed=frozenset())
    planner = Planner(world, random.Random(3))
    for _ in range(400):
        plan = planner.plan(10.0)
        payload = plan.payload(region_code=plan.region.name)
        if plan.kind == "email_reply":
            assert payload["in_reply_to"] in payload["references"]
            assert payload["subject"].startswith("Re: ")
        assert plan.language in plan.region.languages


@pytest.fixture(scope="module")
def detector():
    languages = [
        Language.from_iso_code_639_1(IsoCode639_1.from_str(tag)) for tag in INTAKE_LANGUAGES
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def test_every_text_is_detected_as_its_language(detector):
    for language in INTAKE_LANGUAGES:
        texts = [body for _, body in MESSAGES[language]]
        texts += [FOLLOW_UPS[language], f"{ANGRY[language]} {MESSAGES[language][0][1]}"]
        for text in texts:
            found = detector.detect_language_of(text)
            assert found is not None, text
            assert found.iso_code_639_1.name.lower() == language, text
