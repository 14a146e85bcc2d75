#!/usr/bin/env bash
# Builds Docker Compose v2 (the `docker-compose` binary, module github.com/docker/compose/v5)
# from the Go module proxy into .tools/bin once per version and prints its path:
#   deploy/tools/compose-install.sh [version]
# Not with go-install.sh: `go install pkg@version` refuses a module whose go.mod has exclude
# directives, as Compose's has. So its source is built as the main module, with its own
# go.mod and go.sum (the versions Compose's release pins).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="${1:-v5.6.0}"
module=github.com/docker/compose/v5
bin="$root/.tools/bin"
stamp="$bin/.docker-compose.version"
if [[ -x "$bin/docker-compose" && "$(cat "$stamp" 2>/dev/null)" == "$module@$version" ]]; then
  echo "$bin/docker-compose"
  exit 0
fi
command -v go >/dev/null || { echo "compose-install: Go is needed to build Compose" >&2; exit 1; }
mkdir -p "$bin"
build="$(mktemp -d)"
trap 'chmod -R u+w "$build"; rm -rf "$build"' EXIT
echo "compose-install: building $module/cmd@$version" >&2
source_dir="$(go mod download -json "$module@$version" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
cp -r "$source_dir" "$build/src"
chmod -R u+w "$build/src"
(cd "$build/src" && GOFLAGS=-trimpath go build \
  -ldflags "-s -w -X $module/internal.Version=$version" -o "$build/docker-compose" ./cmd) >&2
mv "$build/docker-compose" "$bin/docker-compose"
echo "$module@$version" >"$stamp"
echo "$bin/docker-compose"
