"""The greeter's definition: everything servicekit needs to build and run it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition

from . import handlers
from .events import GREETINGS, REGISTRY, VisitorArrived
from .orm import Base
from .settings import GreeterSettings


def manners(settings: GreeterSettings, _resources: Resources) -> handlers.Manners:
    return handlers.Manners(linger=timedelta(seconds=settings.linger_seconds))


DEFINITION = ServiceDefinition(
    name="greeter",
    settings=GreeterSettings,
    migrations=Migrations(Path(__file__).parent / "migrations" / "versions", Base.metadata),
    registry=REGISTRY,
    dependencies=manners,
    writes=(GREETINGS,),
    handlers={VisitorArrived: handlers.greet},
    timers={handlers.FAREWELL: handlers.say_goodbye},
)
