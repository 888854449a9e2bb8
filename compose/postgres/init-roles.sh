#!/bin/sh
# Creates each Maestro service's login role, which the service connects as at run time
# (MAESTRO_POSTGRES_URL): no superuser, no BYPASSRLS, so row-level security holds for it.
# The schema owner (POSTGRES_USER) migrates each schema and grants the role what it needs.
# A role is created for each <SERVICE>_DB_PASSWORD set (e.g. REGISTRY_DB_PASSWORD for
# registry_app); running again only resets the passwords.
# Runs once from /docker-entrypoint-initdb.d in the postgres image, or by hand with psql's
# PG* variables.
set -eu
for service in registry governance audit catalog feature_store drift_monitor cost_tracker; do
    variable="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$variable" || true)"
    [ -n "$password" ] || continue
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-maestro}" --dbname "${POSTGRES_DB:-maestro}" \
        -v role="${service}_app" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'role', :'password') \gexec
SQL
    echo "role ${service}_app is ready"
done
