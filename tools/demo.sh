#!/usr/bin/env bash
# The main job, on containers: brings up fresh containerised OAR2 servers,
# migrates them with the collection's playbooks/migrate.yml (OAR3's kamelot
# and kao), and prints what each one runs.
#   bash tools/demo.sh            Debian 12 and 13
#   bash tools/demo.sh 13         one server (12 or 13)
#   bash tools/demo.sh --destroy  remove the demo's containers
# OAR3 comes from the stand-in fixture (molecule/shared/oar3-standin), or from
# the git checkout named by OAR3_SOURCE.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian
cd "$REPO_DIR"

DEMO_DIR="$STATE_DIR/demo"
remove_containers() {
    docker ps -aq --filter label=owner=oar3-demo | xargs -r docker rm -f >/dev/null
}

releases=()
case "${1:-}" in
    --destroy)
        [ $# -eq 1 ] || die "--destroy takes no other argument."
        command -v docker >/dev/null && remove_containers
        rm -rf "$DEMO_DIR/run"
        say "demo containers removed (the builds in $DEMO_DIR/oar3-debs are kept for the next demo)"
        exit 0 ;;
    "") releases=(12 13) ;;
    12 | 13) [ $# -eq 1 ] || die "give one Debian release (12 or 13), or none for both."; releases=("$1") ;;
    *) die "unknown argument '$1': use no argument (Debian 12 and 13), 12, 13, or --destroy." ;;
esac

start=$SECONDS
step() {  # message: printed with the time since the demo started
    say "[$(printf '%4d' $((SECONDS - start))) s] $*"
}

step "toolchain venv"
"$TOOLS_DIR/venv.sh"
export PATH="$VENV_DIR/bin:$PATH"
step "Docker engine and OAR2 server images (Debian ${releases[*]})"
"$TOOLS_DIR/images/build.sh" "${releases[@]}"

run="$DEMO_DIR/run"
rm -rf "$run"
mkdir -p "$run"
step "the collection, built and installed as users get it"
install_collection "$run" || die "the collection did not build or install into $run/collections."
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_roles ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_PIPELINING=1
# The OAR3 git repository bundle of molecule/shared/serve_oar3.yml goes here.
export MOLECULE_EPHEMERAL_DIRECTORY="$run"

step "fresh OAR2 servers, waiting for their first boot, serving OAR3 to them (${OAR3_SOURCE:-the stand-in fixture})"
servers=()
for rel in "${releases[@]}"; do servers+=("oar3-demo-deb$rel:$rel"); done
start_oar2_servers "$run" oar3-demo "$(cat <<VARS
        oar3_debs_dir: $DEMO_DIR/oar3-debs
        oar3_kamelot_smoke_job: true
        oar3_kamelot_smoke_user: oaruser
        oar3_kao_smoke_job: true
        oar3_kao_smoke_user: oaruser
        oar3_report_smoke_user: oaruser
VARS
)" "${servers[@]}"

step "ansible-playbook -i $run/inventory.yml oar.oar3.migrate"
# Progress: each step of the playbook and each role (once, at its first
# task) as it starts, at profile_roles' clock (skipped hosts are left out),
# failures, and the time each role took; the whole output goes to the log.
progress() {
    awk '
        /^TASK \[/ { name = $0; sub(/^TASK \[/, "", name); sub(/\] \**$/, "", name)
                     at = index(name, " : ")
                     if (!at) { pending = name; role = ""; next }
                     pending = (substr(name, 1, at - 1) == role) ? "" : substr(name, 1, at - 1)
                     role = substr(name, 1, at - 1); next }
        /^[A-Z][a-z]+day / && pending != "" { printf "    %s  %s\n", substr($(NF - 1), 1, 7), pending; pending = ""; fflush(); next }
        /^(fatal|failed):|^\[ERROR/ { print; fflush() }
        /^(dependencies|debs|kamelot|kao|total) -+ +[0-9.]+s$/ { print "    " $0; fflush() }'
}
ansible-playbook -i "$run/inventory.yml" oar.oar3.migrate -e oar3_report_file="$run/report.txt" |
    tee "$run/migrate.log" | progress || die "the migration failed: see $run/migrate.log."

step "done"
printf '\n'
cat "$run/report.txt"
printf '\nLog: %s   Try: docker exec -it %s bash   Remove: bash tools/demo.sh --destroy\n' \
    "$run/migrate.log" "oar3-demo-deb${releases[-1]}"
