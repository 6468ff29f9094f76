#!/bin/bash
# The streaming replica: on first start its data directory is a base backup of
# the primary (pg_basebackup -R writes the standby settings), then PostgreSQL
# runs as a hot standby that answers reads only.
set -euo pipefail
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    until pg_isready --host=db --username=replicator --quiet; do
        echo "replica: waiting for the primary"
        sleep 2
    done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --host=db --username=replicator \
        --pgdata="$PGDATA" --wal-method=stream --slot=replica1 --write-recovery-conf \
        --checkpoint=fast --progress
    chmod 0700 "$PGDATA"
fi
# hot_standby_feedback: a long report on the replica is not cancelled by the
# primary vacuuming rows it still reads. The arguments (compose.yaml's command)
# follow: settings a standby must have at least as high as its primary
# (max_connections), which pg_basebackup does not copy when the primary has
# them on its command line.
exec docker-entrypoint.sh postgres -c hot_standby=on -c hot_standby_feedback=on "$@"
