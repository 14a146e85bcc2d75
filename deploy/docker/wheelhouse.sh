#!/usr/bin/env bash
# Builds the service images' wheelhouse on the host: every third-party package the services
# need, downloaded with the hashes requirements/runtime.txt pins (--require-hashes: a file
# that does not match its hash is refused), and a wheel of libs/contracts, libs/servicekit
# and each service built from the checkout without fetching anything, in
# deploy/docker/wheelhouse (gitignored). The Dockerfile installs from it with --no-index, so
# a build never reaches a package index. Rebuilt only when its inputs (the pins and the
# packages' sources) change. Usage: deploy/docker/wheelhouse.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$root/.venv/bin/python}"
[[ -x "$python" ]] || python=python3
dest=deploy/docker/wheelhouse
packages=(libs/contracts libs/servicekit services/intake services/routing services/escalation services/feedback)

# The inputs: this script, the lock file and every file git knows under the packages.
inputs="$( (sha256sum "${BASH_SOURCE[0]}" requirements/runtime.txt requirements/build.txt
  git ls-files -z -- "${packages[@]}" | grep -zv '/tests/' | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
if [[ -f "$dest/.inputs" && "$(cat "$dest/.inputs")" == "$inputs" ]]; then
  echo "wheelhouse: up to date ($(ls "$dest"/*.whl | wc -l) wheels)"
  exit 0
fi
staging="$(mktemp -d "$root/deploy/docker/.wheelhouse.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# Wheels must fit the images' Python: CPython 3.11 on Debian bookworm (glibc 2.36).
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "wheelhouse: needs a Python 3.11 on the host (PYTHON=...)" >&2; exit 1; }
"$python" -m pip download --quiet --disable-pip-version-check --require-hashes \
  --only-binary :all: --python-version 3.11 --platform manylinux2014_x86_64 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform linux_x86_64 \
  --implementation cp --dest "$staging" -r requirements/runtime.txt
# Our own packages: built with the pinned backend already installed (requirements/build.txt),
# no isolation, no dependency resolution — their dependencies are the wheels above.
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  --wheel-dir "$staging" "${packages[@]}"
echo "$inputs" >"$staging/.inputs"
rm -rf "$dest"
mv "$staging" "$dest"
chmod 755 "$dest"
trap - EXIT
echo "wheelhouse: $(ls "$dest"/*.whl | wc -l) wheels, $(du -sh "$dest" | cut -f1)"
