#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml really run on this machine. A Docker engine
# (engine.sh), Compose v2 built from its Go module (compose-install.sh), every image built
# here (build-images.sh), then tests/deploy/compose_run.py: up --wait until all healthy, a
# signed contact through intake to an agent, down -v. Prints the time of each step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$root/.venv/bin/python}"
began=$SECONDS
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  echo "== compose-test: $name took $((SECONDS - start)) s"
}
timed "docker engine" bash deploy/docker/engine.sh
start=$SECONDS
compose="$(bash deploy/tools/compose-install.sh)"
echo "== compose-test: compose (Go build, cached in .tools/bin) took $((SECONDS - start)) s"
echo "== compose-test: compose $("$compose" version --short) at $compose"
# The three-node overlay, merged by Compose itself (pytest's stage skips it without Compose).
timed "kafka-cluster config" env COMPOSE="$compose" "$python" -m pytest -q -p no:cacheprovider \
  tests/deploy/test_compose_kafka_cluster.py
timed "images" env PYTHON="$python" bash deploy/docker/build-images.sh
timed "compose run" "$python" tests/deploy/compose_run.py --compose "$compose"
echo "== compose-test: whole stage took $((SECONDS - began)) s"
