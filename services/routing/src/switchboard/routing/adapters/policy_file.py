"""The policy document a replica may be started with (``POLICIES_FILE``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from switchboard.routing.domain.policy import policy_set_from_data


def read_policy_file(path: Path) -> dict[str, object]:
    """Parse and validate the policy YAML; a bad file stops the start with its location."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping with a 'policies' list")
    policy_set_from_data(document)
    return document
