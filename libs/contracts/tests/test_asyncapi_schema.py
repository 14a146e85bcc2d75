"""The AsyncAPI documents are valid AsyncAPI 3.0.0: against the specification's own JSON
Schema (vendored from @asyncapi/specs, see asyncapi/README.md), every ``$ref`` in it resolved
from that file, offline; and with the AsyncAPI parser itself (its Spectral rules too), once
``make asyncapi-check`` has installed it."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.schemas.cli import ASYNCAPI_PATH

HERE = Path(__file__).parent / "asyncapi"
SCHEMA_PATH = HERE / "asyncapi-3.0.0-schema.json"
SCHEMA_SHA256 = "d4571a420e6ffb7fcc7066c95a6db1202f299a3c51daa103d0706bf30f95e626"
"""schemas/3.0.0.json of @asyncapi/specs 6.11.1, as published."""
PARSER_MODULES = Path(
    os.environ.get("SWITCHBOARD_ASYNCAPI_PARSER", HERE.parents[3] / ".cache/asyncapi-parser")
)
SERVICES = ("intake", "routing", "escalation", "feedback")


def _offline(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # every definition is in the bundled schema


@cache
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    resource = Resource.from_contents(schema, default_specification=DRAFT7)
    registry = Registry(retrieve=_offline).with_resource(schema["$id"], resource).crawl()
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@cache
def documents() -> dict[str, dict[str, Any]]:
    """The committed document, the one built now, and each service's own (/asyncapi.json)."""
    return {
        "committed": json.loads(ASYNCAPI_PATH.read_text()),
        "all": build_asyncapi(REGISTRY),
        **{service: build_asyncapi(REGISTRY, service) for service in SERVICES},
    }


def problems(document: dict[str, Any]) -> list[str]:
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {best_match([error]).message[:300]}"
        for error in validator().iter_errors(document)
    ]


def test_the_vendored_schema_is_the_published_one():
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert json.loads(SCHEMA_PATH.read_text())["$id"] == (
        "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
    )


@pytest.mark.parametrize("name", ["committed", "all", *SERVICES])
def test_the_document_is_valid_asyncapi_3(name):
    assert problems(documents()[name]) == []


def _mutated(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(build_asyncapi(REGISTRY))
    change(document)
    return document


OPENED = "switchboard.case.opened.v1"


def _cases_binding(document: dict[str, Any]) -> dict[str, Any]:
    binding: dict[str, Any] = document["channels"]["cases"]["bindings"]["kafka"]
    return binding


def _opened_binding(document: dict[str, Any]) -> dict[str, Any]:
    binding: dict[str, Any] = document["components"]["messages"][OPENED]["bindings"]["kafka"]
    return binding


WRONG: dict[str, Callable[[dict[str, Any]], object]] = {
    "an AsyncAPI 2 action": lambda d: d["operations"]["sendCases"].update(action="publish"),
    "no info version": lambda d: d["info"].pop("version"),
    "a payload that is no schema": lambda d: d["components"]["schemas"][OPENED].update(type=5),
    # only the Kafka binding's own schema (a $ref into the bundle) says these are wrong:
    "a negative partition count": lambda d: _cases_binding(d).update(partitions=-1),
    "a key that is no schema": lambda d: _opened_binding(d).update(key=5),
}


@pytest.mark.parametrize("mistake", list(WRONG))
def test_what_asyncapi_3_forbids_is_refused(mistake):
    document = _mutated(WRONG[mistake])
    with pytest.raises(ValidationError):
        validator().validate(document)


def _node() -> str | None:
    node = shutil.which("node")
    installed = (PARSER_MODULES / "node_modules/@asyncapi/parser/package.json").is_file()
    if node and installed:
        return node
    if os.environ.get("SWITCHBOARD_ASYNCAPI_PARSER_REQUIRED"):
        pytest.fail(f"node or the AsyncAPI parser (in {PARSER_MODULES}) is missing")
    pytest.skip("the AsyncAPI parser is not installed: `make asyncapi-check` installs and runs it")


def _parse(node: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(HERE / "parse.cjs"), *map(str, paths)],
        env={**os.environ, "NODE_PATH": str(PARSER_MODULES / "node_modules")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_asyncapi_parser_takes_every_document(tmp_path):
    node = _node()
    paths = []
    for name, document in documents().items():
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(document))
    # one the JSON Schema cannot fault: an operation's message that is not its channel's
    wrong = _mutated(
        lambda d: d["operations"]["sendCases"]["messages"][0].update(
            {"$ref": f"#/components/messages/{OPENED}"}
        )
    )
    assert problems(wrong) == []
    (tmp_path / "wrong.json").write_text(json.dumps(wrong))

    parsed = _parse(node, paths)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    assert parsed.stdout.count(": parsed") == len(paths), parsed.stdout
    refused = _parse(node, [tmp_path / "wrong.json"])
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "asyncapi3-operation-messages-from-referred-channel" in refused.stdout
