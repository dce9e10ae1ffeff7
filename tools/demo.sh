#!/usr/bin/env bash
# The main job, on containers: brings up containerised OAR2 servers
# (Debian 12 and 13) and prints what each one runs.
#   bash tools/demo.sh            bring them up (again) and report
#   bash tools/demo.sh --destroy  remove the containers
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian
cd "$REPO_DIR"

SCENARIO=oar2_server
"$TOOLS_DIR/venv.sh"
export PATH="$VENV_DIR/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$VENV_DIR/collections" MOLECULE_GLOB="molecule/*/molecule.yml"

if [ "${1:-}" = --destroy ]; then
    molecule destroy -s "$SCENARIO"
    exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1': use no argument, or --destroy."

start=$SECONDS
"$TOOLS_DIR/images/build.sh"
say "starting the OAR2 servers"
molecule create -s "$SCENARIO"
molecule converge -s "$SCENARIO"
say "ready in $((SECONDS - start)) s"

for name in oar2-deb12 oar2-deb13; do
    printf '\n%s\n' "$name"
    docker exec "$name" bash -c '
        . /etc/os-release
        printf "  Debian      %s\n" "$VERSION_ID"
        printf "  OAR2        %s\n" "$(dpkg-query -W -f="\${Version}" oar-server)"
        printf "  oar-server  %s\n" "$(systemctl is-active oar-server)"
        echo "  queues      (name, priority, scheduler, state)"
        runuser -u postgres -- psql -XAtq -d oar -F " " -c \
            "SELECT queue_name, priority, scheduler_policy, state FROM queues ORDER BY priority DESC, queue_name" |
            sed "s/^/              /"'
done
printf '\nTry: docker exec -it oar2-deb13 bash   Remove: bash tools/demo.sh --destroy\n'
