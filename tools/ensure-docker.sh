#!/usr/bin/env bash
# Makes a Docker engine available: installs Debian's docker.io when dockerd
# is missing and starts dockerd when it does not answer. Idempotent.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian

command -v dockerd >/dev/null || apt_install docker.io
# containerd, iptables and the like come with docker.io; debootstrap builds the images.
apt_install debootstrap

if docker info >/dev/null 2>&1; then
    exit 0
fi
log=/var/log/oar3-dockerd.log
say "starting dockerd (log: $log)"
# No init system manages services on these machines: run it detached.
nohup dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && exit 0
    kill -0 $! 2>/dev/null || break
    sleep 1
done
tail -n 20 "$log" >&2 || true
die "dockerd did not start (last lines of $log above)."
