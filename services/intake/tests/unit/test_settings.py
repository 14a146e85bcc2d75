import pytest
from pydantic import ValidationError

from switchboard.intake.settings import IntakeSettings


def test_defaults_are_usable_locally():
    settings = IntakeSettings.load()
    assert settings.reopen_window.days == 7
    assert "nb" in settings.languages


def test_production_refuses_the_development_jwt_secret():
    with pytest.raises(ValidationError, match="jwt_secret"):
        IntakeSettings.load(environment="production", database_url="postgresql+asyncpg://db/intake")


def test_unknown_languages_are_refused():
    with pytest.raises(ValidationError, match="lingua cannot detect"):
        IntakeSettings.load(languages=["da", "tlh"])


def test_workers_are_bounded_and_the_consumer_group_is_the_service_name():
    assert IntakeSettings.load().consumer_group == "intake"
    assert IntakeSettings.load(http_workers=64).http_workers == 64
    with pytest.raises(ValidationError, match="at most 64 http_workers"):
        IntakeSettings.load(http_workers=65)
