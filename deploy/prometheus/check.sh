#!/usr/bin/env bash
# `make rules-check`: promtool (built pinned, once, into .tools/bin) checks the rules, runs their
# unit tests (tests/*.yml), checks the compose Prometheus configuration with the rules where
# the container finds them (rules/ beside prometheus.yml), and lints the metrics the code
# registers (names, types, units). PYTHON: the project's venv interpreter.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="${PROMTOOL_VERSION:-v0.316.0}"
# Only DNS service discovery (what prometheus.yml uses): a build without the cloud SDKs.
promtool="$(GOFLAGS=-tags=remove_all_sd,enable_dns_sd \
  bash "$root/deploy/tools/go-install.sh" "github.com/prometheus/prometheus/cmd/promtool@$version")"
cd "$here"
"$promtool" check rules rules/*.yml
"$promtool" test rules tests/*.yml
config="$(mktemp -d)"
trap 'rm -rf "$config"' EXIT
cp "$root/deploy/otel/prometheus.yml" "$config/prometheus.yml"
ln -s "$here/rules" "$config/rules"
"$promtool" check config "$config/prometheus.yml"
"${PYTHON:-$root/.venv/bin/python}" "$here/exposition.py" >"$config/metrics.txt"
grep -c '^# TYPE' "$config/metrics.txt" | sed 's/^/metrics registered: /'
"$promtool" check metrics <"$config/metrics.txt"
echo "metrics lint: SUCCESS"
