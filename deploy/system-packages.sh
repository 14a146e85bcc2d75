#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests use, when missing:
#   postgresql (the services' database; the launcher falls back to SQLite without it),
#   java + maven (the Kafka broker and fetching its jars), chromium (the console's browser
#   test, driven by Playwright without a browser download) and kcat (a consumer that is not
#   ours, in the subscription test). Usage: deploy/system-packages.sh [test|run]
#   run:  what `make up` / `make demo` need (java, maven; postgresql when it can)
#   test: all of the above
#   Both: FreeDict's bilingual dictionaries (dict-freedict-*), which escalation's problems
#   across regions read to group contacts' texts across languages.
set -euo pipefail
purpose="${1:-test}"

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

missing=()
have_postgres || missing+=(postgresql)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
for pair in dan-eng fra-eng fin-eng pol-eng swe-eng eng-dan eng-fra eng-fin eng-pol eng-swe eng-nor; do
  [[ -f "/usr/share/dictd/freedict-$pair.index" ]] || missing+=("dict-freedict-$pair")
done
if [[ "$purpose" == test ]]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: please install: ${missing[*]} (Debian package names)" >&2
  # The platform itself runs without PostgreSQL: SQLite stands in for it.
  if [[ "$purpose" == run && "${missing[*]}" == postgresql ]]; then exit 0; fi
  exit 1
fi
echo "system-packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
