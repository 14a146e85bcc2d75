#!/usr/bin/env bash
# Builds every image the compose deployment runs, here, with no image registry and nothing
# downloaded inside a container:
#   base images   switchboard-base-{python,java,postgres}:bookworm  (base-image.sh: debootstrap)
#   wheelhouse    deploy/docker/wheelhouse                           (wheelhouse.sh: pip on the host)
#   services      switchboard-{intake,routing,escalation,feedback}:0.1.0  (deploy/docker/Dockerfile)
#   kafka         switchboard-kafka:4.3.1  (deploy/docker/kafka: the jars fetch-jars.sh fetches)
#   postgres      switchboard-postgres:15  (deploy/docker/postgres: Debian's PostgreSQL 15)
# An image whose inputs' hash (label org.switchboard.inputs) is unchanged is not rebuilt.
# Prints how long each step took. The classic builder (no buildx here): DOCKER_BUILDKIT=0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export DOCKER_BUILDKIT=0
label=org.switchboard.inputs
SERVICES=(intake routing escalation feedback)

step_started=0
step() { step_started=$SECONDS; echo "== images: $*"; }
took() { echo "   $1: $((SECONDS - step_started)) s"; }

# A hash of files and strings (paths of directories: every file in them).
inputs_of() {
  local item
  for item in "$@"; do
    if [[ -d "$item" ]]; then find "$item" -type f ! -name '.*' -print0 | sort -z | xargs -0 sha256sum
    elif [[ -f "$item" ]]; then sha256sum "$item"
    else echo "$item"; fi
  done | sha256sum | cut -c1-16
}

# build IMAGE INPUTS docker-build-arguments...: skipped while IMAGE carries INPUTS.
build() {
  local image="$1" inputs="$2"
  shift 2
  if [[ "$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null)" == "$inputs" ]]; then
    echo "   $image up to date"
    return
  fi
  # (The classic builder's deprecation notice left out.)
  docker build --quiet --label "$label=$inputs" --tag "$image" "$@" 2>&1 >/dev/null \
    | { grep -v -e DEPRECATED -e 'BuildKit is currently' -e 'environment-variable' -e '^$' || true; } >&2
  echo "   built $image"
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

total_started=$SECONDS

# Base images and the wheelhouse: the slow, download-bound steps, side by side.
step "base images (debootstrap) and wheelhouse (pip), in parallel"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
pids=()
for kind in python java postgres; do
  bash deploy/docker/base-image.sh "$kind" >"$logs/$kind" 2>&1 & pids+=($!)
done
bash deploy/docker/wheelhouse.sh >"$logs/wheelhouse" 2>&1 & pids+=($!)
bash deploy/kafka/fetch-jars.sh >"$logs/kafka-jars" 2>&1 & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat "$logs"/*
[[ $failed == 0 ]] || { echo "images: a base step failed" >&2; exit 1; }
took "base images, wheelhouse, kafka jars"

step "services"
# Escalation's image gets the host's FreeDict dictionaries (deploy/system-packages.sh
# installs them): problems across regions read them; without, it groups by words only.
dictd=deploy/docker/dictd
rm -rf "$dictd" && mkdir -p "$dictd"
cp /usr/share/dictd/freedict-*.index /usr/share/dictd/freedict-*.dict.dz "$dictd/" 2>/dev/null \
  || echo "   no FreeDict dictionaries on this host: escalation's image goes without them"
python_base="switchboard-base-python:bookworm"
for service in "${SERVICES[@]}"; do
  build "switchboard-$service:0.1.0" \
    "$(inputs_of deploy/docker/Dockerfile deploy/docker/readyz.py "$dictd" \
        "$(cat deploy/docker/wheelhouse/.inputs)" "$(image_id "$python_base")")" \
    --build-arg PYTHON_IMAGE="$python_base" --target "$service" -f deploy/docker/Dockerfile .
done
took "service images"

step "kafka"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/kafka/pom.xml)"
jars=.cache/kafka/libs
# The command-line tools (kafka-topics.sh, kafka-broker-api-versions.sh) are one more jar,
# kafka-tools, whose dependencies the broker's jars already hold.
tools=.cache/kafka/tools-$kafka_version
if [[ ! -f "$tools/kafka-tools-$kafka_version.jar" ]]; then
  mvn -q -B -Dstyle.color=never dependency:copy \
    -Dartifact="org.apache.kafka:kafka-tools:$kafka_version" -DoutputDirectory="$tools"
fi
context=.cache/docker/kafka
rm -rf "$context"
mkdir -p "$context/libs"
cp -l "$jars"/*.jar "$tools"/*.jar "$context/libs/" 2>/dev/null || cp "$jars"/*.jar "$tools"/*.jar "$context/libs/"
cp -r deploy/docker/kafka/bin deploy/docker/kafka/log4j2.xml "$context/"
build "switchboard-kafka:$kafka_version" \
  "$(inputs_of deploy/docker/kafka "$jars" "$tools" "$(image_id switchboard-base-java:bookworm)")" \
  -f deploy/docker/kafka/Dockerfile "$context"
took "kafka image"

step "postgres"
build "switchboard-postgres:15" \
  "$(inputs_of deploy/docker/postgres "$(image_id switchboard-base-postgres:bookworm)")" \
  deploy/docker/postgres
took "postgres image"

echo "== images: sizes"
docker image ls --format '   {{.Repository}}:{{.Tag}}  {{.Size}}' --filter 'reference=switchboard-*' | sort
echo "== images: all built in $((SECONDS - total_started)) s"
