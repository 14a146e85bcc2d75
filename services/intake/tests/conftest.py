"""What intake's unit and integration tests share: one language detector per session (it
takes seconds to build), handed to the service through its dependencies factory."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import pytest

from switchboard.intake.bootstrap import DEFINITION, intake_dependencies
from switchboard.intake.domain.language import ContactLanguageDetector
from switchboard.servicekit.service import ServiceDefinition


@pytest.fixture(scope="session")
def detector() -> ContactLanguageDetector:
    return ContactLanguageDetector()


@pytest.fixture(scope="session")
def definition(detector: ContactLanguageDetector) -> ServiceDefinition[Any, Any]:
    """Intake's definition, its dependencies built around the session's detector."""
    return replace(DEFINITION, dependencies=partial(intake_dependencies, detector=detector))
