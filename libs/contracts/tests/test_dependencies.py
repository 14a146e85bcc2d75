"""Other systems install the contracts alone: pydantic and the standard library only."""

from __future__ import annotations

import json
import subprocess
import sys

ALLOWED = {"switchboard", "pydantic", "pydantic_core", "typing_extensions", "annotated_types"}
ALLOWED |= {"typing_inspection"}

PROBE = """
import json, sys
import switchboard.contracts.asyncapi, switchboard.contracts.envelope
import switchboard.contracts.events, switchboard.contracts.schemas.cli
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_importing_every_module_loads_nothing_else():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))

    third_party = {
        name
        for name in loaded - sys.stdlib_module_names - ALLOWED
        if not name.startswith("_")  # interpreter internals: __main__, _sysconfigdata_*
    }
    assert third_party == set()
