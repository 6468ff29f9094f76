#!/bin/bash
# What deploy/ relies on in the official postgres image's entrypoint:
# - started as root, it gives the data directory to postgres and runs as it;
# - with an empty $PGDATA: initdb with $POSTGRES_USER (default postgres) and
#   $POSTGRES_PASSWORD (required), connections from other hosts by
#   scram-sha-256, the database $POSTGRES_DB (default the user's name), then
#   every /docker-entrypoint-initdb.d/ file (*.sh run, or sourced when not
#   executable; *.sql through psql) against a server reachable only on its
#   socket;
# - then `postgres` with the arguments given.
set -Eeuo pipefail

if [[ "${1:0:1}" == - ]]; then
    set -- postgres "$@"
fi
wants_info() {
    local arg
    for arg; do
        case "$arg" in -'?' | --help | --describe-config | -V | --version | -C) return 0 ;; esac
    done
    return 1
}
if [[ "$1" != postgres ]] || wants_info "$@"; then
    exec "$@"
fi

if [[ "$(id -u)" == 0 ]]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 00700 "$PGDATA"
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    : "${POSTGRES_PASSWORD:?the database is not initialised and POSTGRES_PASSWORD is not set}"
    export POSTGRES_USER=${POSTGRES_USER:-postgres}
    export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        ${POSTGRES_INITDB_ARGS:-}
    printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    if [[ "$POSTGRES_DB" != postgres ]]; then
        psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname postgres \
            -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [[ -x "$f" ]]; then
                    echo "entrypoint: running $f"
                    "$f"
                else
                    echo "entrypoint: sourcing $f"
                    # shellcheck disable=SC1090
                    . "$f"
                fi
                ;;
            *.sql)
                echo "entrypoint: running $f"
                psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password \
                    --dbname "$POSTGRES_DB" -f "$f"
                ;;
            *) [[ -e "$f" ]] && echo "entrypoint: ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "entrypoint: initialised; starting PostgreSQL"
fi

exec "$@"
