"""A service declared once (``ServiceDefinition``, ``HttpApi``) and everything servicekit
builds from it: the assembled ``Service``, its app and its command line."""

from switchboard.servicekit.service.app import app_from_environment, service_app
from switchboard.servicekit.service.assembly import Service, assemble
from switchboard.servicekit.service.cli import service_cli
from switchboard.servicekit.service.definition import (
    HttpApi,
    Migrations,
    Resources,
    ServiceDefinition,
)

__all__ = [
    "HttpApi",
    "Migrations",
    "Resources",
    "Service",
    "ServiceDefinition",
    "app_from_environment",
    "assemble",
    "service_app",
    "service_cli",
]
