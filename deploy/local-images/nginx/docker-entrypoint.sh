#!/bin/bash
# As the official nginx image: before nginx starts, every
# /etc/nginx/templates/NAME.template becomes /etc/nginx/conf.d/NAME with the
# environment's variables filled in (only variables that are set, so nginx's
# own $host, $uri… stay as they are).
set -euo pipefail
if [[ "$1" == nginx || "$1" == nginx-debug ]]; then
    defined=$(printf '${%s} ' $(env | cut -d= -f1))
    for template in /etc/nginx/templates/*.template; do
        [[ -f "$template" ]] || continue
        output=/etc/nginx/conf.d/$(basename "$template" .template)
        echo "entrypoint: $template -> $output"
        envsubst "$defined" <"$template" >"$output"
    done
fi
exec "$@"
