#!/bin/bash
# First start (empty $PGDATA): initdb with the superuser's password, then every
# /docker-entrypoint-initdb.d/*.sh against a server that listens on its socket only.
# Every start: postgres in the foreground on POSTGRES_LISTEN (default all addresses, as the
# postgres image) and POSTGRES_PORT (default 5432).
set -euo pipefail
export POSTGRES_USER=postgres POSTGRES_DB=postgres
port="${POSTGRES_PORT:-5432}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  initdb --username=postgres --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}") \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --silent --options="-c listen_addresses='' -p $port" start
  export PGPORT="$port"
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [[ -e "$script" ]] || continue
    echo "postgres-entrypoint: running $script"
    bash "$script"
  done
  pg_ctl --wait --silent stop
  unset PGPORT
fi
exec postgres -c listen_addresses="${POSTGRES_LISTEN:-*}" -p "$port"
