#!/usr/bin/env bash
# Fetches the Kafka broker's runtime jars (pinned in pom.xml) into .cache/kafka/libs once.
# Idempotent: a marker holding the pom's hash is written last, so an interrupted or stale
# download is redone and a complete one is skipped. Usage: deploy/kafka/fetch-jars.sh [DEST]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="${1:-${SWITCHBOARD_KAFKA_LIBS:-$repo/.cache/kafka/libs}}"
marker="$dest/.complete"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-jars: mvn not found (apt-get install maven)" >&2; exit 1; }

# Download into a sibling temp dir and swap it in, so a broker never sees half a classpath.
mkdir -p "$(dirname "$dest")"
staging="$(mktemp -d "$(dirname "$dest")/.libs.XXXXXX")"
chmod 755 "$staging"
trap 'rm -rf "$staging"' EXIT

mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$staging" -DincludeScope=runtime -Dmdep.overWriteReleases=true

echo "$want" > "$staging/.complete"
rm -rf "$dest"
mv "$staging" "$dest"
trap - EXIT
# Class archives recorded by the broker (see devinfra/kafka_cds.py) describe the old jars.
rm -f "$(dirname "$dest")"/kafka-*.jsa
echo "fetch-jars: $(ls "$dest"/*.jar | wc -l) jars in $dest"
