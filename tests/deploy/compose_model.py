"""Reading the deployment files the way Docker does, enough to check them against the code:
compose variable interpolation, port strings, the Dockerfile's stages, .dockerignore."""

from __future__ import annotations

import copy
import importlib
import json
import re
import shlex
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices

from switchboard.servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
POSTGRES_INIT = ROOT / "deploy" / "compose" / "postgres-init.sh"
APPS = ("intake", "routing", "escalation", "feedback")

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``${VAR:?error}`` as Compose
    reads them; a required variable missing from ``env`` raises ``KeyError``."""

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        given = env.get(name)
        if operator in (":?", "?") and (given is None or (operator == ":?" and not given)):
            raise KeyError(f"{name} is required: {argument}")
        if operator == ":-" and not given:
            return argument
        if operator == "-" and given is None:
            return argument
        return given or ""

    resolved = _VARIABLE.sub(value, text.replace("$$", "\0"))
    assert "$" not in resolved, f"unsupported interpolation in {text!r}"
    return resolved.replace("\0", "$")


def resolve(node: Any, env: Mapping[str, str]) -> Any:
    """A copy of a compose document with every string interpolated."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: resolve(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, env) for value in node]
    return copy.copy(node)


def required_variables(compose: dict[str, Any]) -> set[str]:
    text = json.dumps(compose)
    return {m.group(1) for m in _VARIABLE.finditer(text) if m.group(2) in (":?", "?")}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


@dataclass(frozen=True)
class Port:
    host_ip: str
    published: str
    target: int


def parse_port(spec: str | int | dict[str, Any]) -> Port:
    if isinstance(spec, dict):
        return Port(spec.get("host_ip", ""), str(spec.get("published", "")), int(spec["target"]))
    parts = str(spec).split("/")[0].split(":")
    target = int(parts[-1])
    if len(parts) == 3:
        return Port(parts[0], parts[1], target)
    return Port("", parts[0] if len(parts) == 2 else "", target)


def app_of(service: dict[str, Any]) -> str | None:
    """The Switchboard service a compose service runs: its Dockerfile target."""
    build = service.get("build")
    return build.get("target") if isinstance(build, dict) else None


def settings_class(app: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"switchboard.{app}.settings")
    (cls,) = (
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, ServiceSettings)
        and obj.__module__ == module.__name__
    )
    return cls


def env_names(cls: type[ServiceSettings]) -> dict[str, str]:
    """Every environment variable a settings class reads, upper-cased, to its field. A field
    with a validation alias is read by its aliases only (pydantic-settings adds no prefix)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            aliases = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            aliases = [alias]
        else:
            aliases = [prefix + name]
        names.update({a.upper(): name for a in aliases})
    return names


def console_scripts(app: str) -> dict[str, str]:
    pyproject = tomllib.loads((ROOT / "services" / app / "pyproject.toml").read_text())
    return dict(pyproject["project"].get("scripts", {}))


def project_version(app: str) -> str:
    pyproject = tomllib.loads((ROOT / "services" / app / "pyproject.toml").read_text())
    return str(pyproject["project"]["version"])


def pom_kafka_version() -> str:
    pom = ET.parse(ROOT / "deploy" / "kafka" / "pom.xml")
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = pom.getroot().find("m:properties/m:kafka.version", ns)
    assert version is not None
    assert version.text
    return version.text.strip()


@dataclass
class Stage:
    base: str
    cmd: list[str] = field(default_factory=list)
    expose: list[int] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)
    user: str = ""


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: dict[str, Stage]

    def inherited(self, name: str, attribute: str) -> Any:
        """An instruction's value in a stage, looking through the stages it is built FROM."""
        stage = self.stages[name]
        value = getattr(stage, attribute)
        if not value and stage.base in self.stages:
            return self.inherited(stage.base, attribute)
        return value


def parse_dockerfile(text: str) -> Dockerfile:
    args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and current is None:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), words[0])
            current = Stage(base=base)
            stages[words[2] if len(words) == 3 and words[1].upper() == "AS" else base] = current
        elif current is None:
            continue
        elif keyword == "CMD":
            current.cmd = json.loads(rest)
        elif keyword == "EXPOSE":
            current.expose = [int(p.split("/")[0]) for p in rest.split()]
        elif keyword == "HEALTHCHECK":
            current.healthcheck = json.loads(rest[rest.index("CMD") + 3 :])
        elif keyword == "ENV":
            current.env.update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
        elif keyword == "COPY" and "--from" not in rest:
            current.copies.extend(rest.split()[:-1])
        elif keyword == "USER":
            current.user = rest
    return Dockerfile(args, stages)


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: ``**`` spans directories, ``*`` and ``?`` do not."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            close = pattern.index("]", i)
            out, i = out + pattern[i : close + 1], close + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` out of the build context: the last pattern matching the
    path or one of its parent directories decides; ``!`` lets it back in."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _ignore_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def dockerignore_patterns(path: Path = ROOT / ".dockerignore") -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
