"""Validate rendered Kubernetes manifests against the API's JSON schemas, offline and strict.

    python deploy/helm/validate_manifests.py [--kube-version 1.29] FILE...

The schemas ship inside the kubernetes-validate package (pinned in requirements.lock), so
nothing is fetched. Strict: a field the API does not know fails, as does a wrong type, a
missing required field, and a kind or apiVersion without a schema (the package's own CLI
only warns about those). Exit 0 when every document of every file passes.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes_validate import utils as kv

# Each validation reads its kind's schema and every definition (megabytes of JSON) anew:
# read each file once.
kv.schema_contents = functools.cache(kv.schema_contents)

# The oldest Kubernetes the chart supports (Chart.yaml's kubeVersion) and the newest the
# pinned schemas know: a field added or removed in between fails on one of them.
KUBE_VERSIONS = ("1.29", kv.latest_version())


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def documents(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document:
            yield document


def validate(
    manifest: dict[str, Any], versions: Iterable[str] = KUBE_VERSIONS, where: str = ""
) -> list[Problem]:
    name = f"{manifest.get('kind')}/{(manifest.get('metadata') or {}).get('name')}"
    where = f"{where}{name}"
    problems = []
    for version in versions:
        try:
            kv.validate(manifest, version, strict=True)
        except kv.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            problems.append(Problem(f"{where} (k8s {version})", f"{path}: {error.message}"))
        except kv.SchemaNotFoundError as error:
            problems.append(Problem(f"{where} (k8s {version})", error.message))
        except KeyError as error:
            problems.append(Problem(where, f"no {error} field"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-version", action="append", dest="versions")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    versions = args.versions or list(KUBE_VERSIONS)
    problems: list[Problem] = []
    count = 0
    for path in args.files:
        for manifest in documents(path):
            count += 1
            problems += validate(manifest, versions, where=f"{path}: ")
    for problem in problems:
        print(f"INVALID {problem}")
    verdict = "refused" if problems else "valid"
    print(
        f"{count} manifests in {len(args.files)} files checked strictly against Kubernetes "
        f"{', '.join(versions)} (kubernetes-validate {kv.__version__}): {verdict}, "
        f"{len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
