#!/usr/bin/env bash
# Builds a command from the Go module proxy into .tools/bin, once per version, and prints
# its path:  deploy/tools/go-install.sh <package@version> [name]
#   e.g. deploy/tools/go-install.sh helm.sh/helm/v4/cmd/helm@v4.3.2
# name defaults to the package's last path element (give one for packages named "cmd").
# GOFLAGS from the caller are added (e.g. GOFLAGS=-tags=remove_all_sd for a lean promtool).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
package="$1"
path="${package%@*}"
name="${2:-${path##*/}}"
bin="$root/.tools/bin"
stamp="$bin/.$name.version"
built="$package${GOFLAGS:+ $GOFLAGS}"
if [[ -x "$bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$built" ]]; then
  echo "$bin/$name"
  exit 0
fi
command -v go >/dev/null || { echo "go-install: Go is needed to build $package" >&2; exit 1; }
mkdir -p "$bin"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
echo "go-install: building $package" >&2
GOBIN="$build" GOFLAGS="-trimpath ${GOFLAGS:-}" go install "$package" >&2
mv "$build/${path##*/}" "$bin/$name"
echo "$built" >"$stamp"
echo "$bin/$name"
