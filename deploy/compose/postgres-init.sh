#!/bin/sh
# Run once by the postgres image, on an empty data volume: one role and one database per
# service, each database owned by its service's role, so no service can read another's.
# Passwords come from the postgres container's environment (docker-compose.yml).
set -e

create_database() {  # NAME PASSWORD
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --set=name="$1" --set=password="$2" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

create_database intake "${INTAKE_DB_PASSWORD:?}"
create_database routing "${ROUTING_DB_PASSWORD:?}"
create_database escalation "${ESCALATION_DB_PASSWORD:?}"
create_database feedback "${FEEDBACK_DB_PASSWORD:?}"
