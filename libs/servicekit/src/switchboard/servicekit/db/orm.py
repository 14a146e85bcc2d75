"""What every service's ORM shares: one naming convention for constraints and indexes,
and the column types of aware UTC instants and JSON documents.

A service's base: ``class Base(DeclarativeBase): metadata = service_metadata();
type_annotation_map = TYPE_ANNOTATIONS``; its mapped classes are named ``<Thing>Row`` and
its tables carry the service's prefix."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, MetaData

from switchboard.servicekit.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
TYPE_ANNOTATIONS: dict[Any, Any] = {datetime: UTCDateTime, dict[str, Any]: JSON}


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)
