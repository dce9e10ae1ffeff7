#!/usr/bin/env bash
# The collection run as AWX/AAP runs it: an execution environment built with
# ansible-builder (tools/ee/execution-environment.yml, on the local Debian 13
# base image), then oar.oar3.migrate run inside it by ansible-runner against a
# fresh containerised OAR2 server, from a project playbook and an inventory
# in ansible-runner's private data directory, as an AWX job template does.
# The packages come from a store mounted into the EE (the AWX way to keep
# "build once": a persistent path); without one, the server builds them.
#   bash tools/ee/run.sh COLLECTION_TARBALL [STORE]
# Needs the newest venv (tools/venv.sh newest: ansible-builder, ansible-runner).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/../lib.sh"
require_root_debian
[ $# -ge 1 ] && [ -f "$1" ] || die "usage: tools/ee/run.sh COLLECTION_TARBALL [STORE] (the tarball '${1:-}' is missing)."
tarball=$1 store=${2:-}
export PATH="$NEWEST_VENV_DIR/bin:$PATH"
# For preparing the server from here (community.docker's connection).
export ANSIBLE_COLLECTIONS_PATH="$NEWEST_VENV_DIR/collections"
IMAGE=oar3-test/ee:13
SERVER=oar3-ee-13

dir=$(mktemp -d /var/tmp/oar3-ee.XXXXXX)
export MOLECULE_EPHEMERAL_DIRECTORY="$dir"  # where serve_oar3.yml leaves its git bundle
cleanup() { docker rm -f "$SERVER" >/dev/null 2>&1 || true; [ -n "${OAR3_EE_KEEP:-}" ] || rm -rf "$dir"; }
trap cleanup EXIT

say "building the execution environment $IMAGE with ansible-builder"
mkdir -p "$dir/def/files/collections/ansible_collections"
cp "$TOOLS_DIR/ee/execution-environment.yml" "$dir/def/"
cp "$tarball" "$dir/def/files/oar-oar3.tar.gz"
cp /etc/ssl/certs/ca-certificates.crt "$dir/def/files/host-ca.crt"
cp -r "$VENV_DIR/collections/ansible_collections/community" "$dir/def/files/collections/ansible_collections/"
ansible-builder build --container-runtime docker -f "$dir/def/execution-environment.yml" -c "$dir/context" \
    -t "$IMAGE" -v 1 >"$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log" >&2; die "ansible-builder build failed."; }
# The EE this build replaced, left untagged (its build stages stay: they are the next build's cache).
docker image prune -f --filter label=ansible-execution-environment=true >/dev/null
docker run --rm "$IMAGE" ansible-doc -t role -l oar.oar3 | grep -q "^oar.oar3.kamelot" ||
    die "the EE $IMAGE does not list the role oar.oar3.kamelot."

say "a fresh OAR2 server, $SERVER (Debian 13)"
start_oar2_servers "$dir" oar3-ee "        oar3_kamelot_smoke_job: true
        oar3_kamelot_smoke_user: oaruser
        oar3_kao_smoke_job: true
        oar3_kao_smoke_user: oaruser" "$SERVER:13"

# ansible-runner's private data directory, as AWX lays it out for a job.
pdd=$dir/runner
mkdir -p "$pdd/project" "$pdd/inventory" "$pdd/env"
cat >"$pdd/project/migrate.yml" <<'PLAY'
---
# A project's playbook, as an AWX job template names one.
- name: Migrate to OAR3's kamelot and kao
  ansible.builtin.import_playbook: oar.oar3.migrate
PLAY
# Inside the EE the servers are reached through Docker's API (the socket is
# mounted); a real cluster's inventory uses SSH and become.
sed -e 's/ansible_connection: community.docker.docker$/ansible_connection: community.docker.docker_api/' \
    "$dir/inventory.yml" >"$pdd/inventory/hosts.yml"
printf -- '---\nANSIBLE_NOCOLOR: "1"\n' >"$pdd/env/envvars"
volumes=(--container-volume-mount /var/run/docker.sock:/var/run/docker.sock)
if [ -n "$store" ] && [ -d "$store" ]; then
    cp -a "$store" "$dir/store"
    chown -R 1000 "$dir/store"
    volumes+=(--container-volume-mount "$dir/store:/runner/oar3-debs")
    printf -- '---\noar3_debs_dir: /runner/oar3-debs\n' >"$pdd/env/extravars"
fi

say "oar.oar3.migrate inside $IMAGE, run by ansible-runner"
rc=0
ansible-runner run "$pdd" -p migrate.yml --process-isolation --process-isolation-executable docker \
    --container-image "$IMAGE" "${volumes[@]}" \
    --container-option="--group-add=$(getent group docker | cut -d: -f3)" >"$dir/run.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 60 "$dir/run.log" >&2; die "ansible-runner failed (rc $rc)."; }
status=$(cat "$pdd"/artifacts/*/status)
[ "$status" = successful ] || { tail -n 60 "$dir/run.log" >&2; die "ansible-runner's job status is '$status'."; }

# The server is migrated: the default queue scheduled by kamelot, Almighty running kao.
queue=$(docker exec "$SERVER" oarnotify -l | awk '/^default$/ {q = 1; next} /^[^ \t]/ {q = 0} q && /scheduler/ {print $3}')
[ "$queue" = kamelot ] || die "after the EE's run the default queue is scheduled by '$queue', not kamelot."
docker exec "$SERVER" grep -qx 'META_SCHED_CMD="kao"' /etc/oar/oar.conf ||
    die "after the EE's run oar.conf does not set META_SCHED_CMD=\"kao\"."
grep -q "^$SERVER .*failed=0" "$dir/run.log" || die "the play recap of $SERVER is not failed=0."
# No DB password of the server in anything the job left (stdout, events, artifacts).
secrets=$(db_passwords_of "$SERVER")
[ -n "$secrets" ] || die "no DB password could be read from $SERVER."
if grep -rqF -f <(printf '%s\n' "$secrets") "$dir/run.log" "$pdd/artifacts"; then
    die "a DB password of $SERVER is in the job's output or artifacts."
fi
grep -E "^$SERVER +:" "$dir/run.log"
say "the execution environment migrated $SERVER: default on kamelot, META_SCHED_CMD=kao, no password shown"
