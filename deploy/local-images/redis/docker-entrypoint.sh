#!/bin/bash
# As the official redis image's entrypoint: redis-server runs as the user redis,
# owning /data. Its protected mode is off (the official image builds it so):
# other containers on the project's network connect without a password.
set -euo pipefail
if [[ "${1#-}" != "$1" || "${1%.conf}" != "$1" ]]; then
    set -- redis-server "$@"
fi
wants_info() {
    local arg
    for arg; do
        case "$arg" in -v | --version | -h | --help | --test-memory | --check-system) return 0 ;; esac
    done
    return 1
}
if [[ "$1" == redis-server ]] && ! wants_info "$@"; then
    shift
    if [[ "${1:-}" == *.conf ]]; then
        conf=$1
        shift
        set -- redis-server "$conf" --protected-mode no "$@"
    else
        set -- redis-server --protected-mode no "$@"
    fi
    if [[ "$(id -u)" == 0 ]]; then
        find . \! -user redis -exec chown redis '{}' +
        exec gosu redis "$@"
    fi
fi
exec "$@"
