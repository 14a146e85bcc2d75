"""Event type and version → model; the single lookup used to decode and to document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from switchboard.contracts.base import Event

M = TypeVar("M", bound=Event)
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    pass


@dataclass
class Registry:
    _models: dict[tuple[str, int], type[Event]] = field(default_factory=dict)
    _upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, model: type[M]) -> type[M]:
        """Add one event model; usable as a class decorator."""
        key = (model.event_type, model.version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"{model.event_type} v{model.version} is registered twice")
        if model.key_field not in model.model_fields:
            raise ValueError(f"{model.__name__} has no key field {model.key_field!r}")
        for other in self._models.values():
            if other.topic.name == model.topic.name and other.topic.writer != model.topic.writer:
                raise ValueError(f"topic {model.topic.name} would have two writers")
        self._models[key] = model
        return model

    def register_upcaster(self, event_type: str, from_version: int, upcast: Upcaster) -> None:
        """Turn data of ``from_version`` into data of ``from_version + 1``."""
        self._upcasters[(event_type, from_version)] = upcast

    def has_upcaster(self, event_type: str, from_version: int) -> bool:
        return (event_type, from_version) in self._upcasters

    def model(self, event_type: str, version: int | None = None) -> type[Event]:
        if version is None:
            version = self.latest_version(event_type)
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r} v{version}") from None

    def latest_version(self, event_type: str) -> int:
        versions = [v for (t, v) in self._models if t == event_type]
        if not versions:
            raise UnknownEventType(f"unknown event type {event_type!r}")
        return max(versions)

    def parse(self, event_type: str, version: int, data: dict[str, Any]) -> Event:
        """Validate ``data`` and upcast it to the newest version of its type."""
        latest = self.latest_version(event_type)
        written = self.model(event_type, version).model_validate(data)
        if version == latest:
            return written
        # Upcasters see only valid data of their version, in its JSON form.
        data = written.model_dump(mode="json")
        while version < latest:
            upcast = self._upcasters.get((event_type, version))
            if upcast is None:
                raise UnknownEventType(f"no upcaster for {event_type!r} v{version}")
            data = upcast(data)
            version += 1
        return self.model(event_type, version).model_validate(data)

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(sorted(self._models.values(), key=lambda m: (m.event_type, m.version)))

    def topics(self) -> dict[str, list[type[Event]]]:
        by_topic: dict[str, list[type[Event]]] = {}
        for model in self:
            by_topic.setdefault(model.topic.name, []).append(model)
        return by_topic
