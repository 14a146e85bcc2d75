import pytest
from pydantic import ValidationError

from switchboard.feedback.domain.answers import Threshold
from switchboard.feedback.domain.templates import Question
from switchboard.feedback.settings import FeedbackSettings


def test_defaults_make_a_working_local_service():
    settings = FeedbackSettings.load()
    assert settings.survey_policy.delay.total_seconds() == 3600
    assert settings.detractor_rule.thresholds[0] == Threshold(Question.NPS, 6)


def test_detractor_thresholds_are_configurable_and_can_be_switched_off():
    settings = FeedbackSettings.load(detractor_nps_at_most=None, detractor_csat_at_most=3)
    assert settings.detractor_rule.thresholds == (
        Threshold(Question.CSAT, 3),
        Threshold(Question.CES, 2),
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"region_time_zones": {"nordics": "Europe/Nowhere"}},
        {"link_secrets": ["too-short"]},
        {"survey_questions": ["csat", "csat"]},
        {"survey_expiry_days": 0},
        {"environment": "production", "database_url": "postgresql+asyncpg://db/feedback"},
    ],
)
def test_bad_settings_are_refused_at_start(overrides):
    with pytest.raises(ValidationError):
        FeedbackSettings.load(**overrides)


def test_production_accepts_real_secrets():
    settings = FeedbackSettings.load(
        environment="production",
        database_url="postgresql+asyncpg://db/feedback",
        link_secrets=["a-real-link-secret-of-enough-length-123456"],
        jwt_secret="a-real-jwt-secret-of-enough-length-1234567",
    )
    assert settings.link_secret_bytes[0].startswith(b"a-real")
