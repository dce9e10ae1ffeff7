#!/usr/bin/env bash
# The whole test suite, from nothing: toolchain venv, Docker engine, test
# images, then lint, build + sanity of the collection tarball, unit tests and
# every molecule scenario. Re-runs reuse the venv, images and apt cache.
#   bash tools/test.sh               everything
#   bash tools/test.sh modules       only the named molecule scenarios
# With no argument it ends with the benchmarks' smoke run (bench/run.sh --smoke).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian
cd "$REPO_DIR"

# The order of the measured run.
SCENARIOS=(modules dependencies debs kamelot kao default faults)
[ $# -gt 0 ] && SCENARIOS=("$@")

timings=()
step() {  # name command...
    local name=$1 start=$SECONDS
    shift
    say "$name"
    if ! "$@"; then
        die "step '$name' failed after $((SECONDS - start)) s (output above)."
    fi
    timings+=("$(printf '%5d s  %s' $((SECONDS - start)) "$name")")
}

step "toolchain venv" "$TOOLS_DIR/venv.sh"
step "docker engine and test images" "$TOOLS_DIR/images/build.sh"
export PATH="$VENV_DIR/bin:$PATH"

work=$(mktemp -d /var/tmp/oar3-test.XXXXXX)
gates_pid=
# A failed scenario ends the run: the checks beside it finish first, so that nothing is left running in $work.
trap '[ -z "$gates_pid" ] || wait "$gates_pid" 2>/dev/null; rm -rf "$work"' EXIT
# The kamelot, kao, default and faults scenarios build the same OAR3 source: once per test run.
export OAR3_TEST_DEBS_DIR="$work/oar3-debs"
export MOLECULE_GLOB="molecule/*/molecule.yml"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
# One docker exec per task instead of four (measured: a role run in half the time).
export ANSIBLE_PIPELINING=1

installed="$work/collections/ansible_collections/oar/oar3"
sanity() {
    local pip_version
    pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; from ansible_test._internal.host_configs import NativePythonConfig as P; print(g(P(version="3.11"))["pip"])')
    mkdir -p ~/.ansible/test/cache
    cp "$TOOLS_DIR/ansible_test_get_pip.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
    # ansible-test wants a git work tree to list the files it checks.
    (cd "$installed" && git init -q && git add -A &&
        ansible-test sanity --python 3.11 --color no 2>&1 | { grep -v "^WARNING: Location " || true; })
}

# The unit tests read OAR2's stock oar.conf files; they are not ours to
# commit, so take them from the Debian packages inside the test images.
export OAR3_STOCK_CONF_DIR="$work/stock"
stock_confs() {
    mkdir -p "$OAR3_STOCK_CONF_DIR"
    for rel in 12 13; do
        docker run --rm --entrypoint cat "oar3-test/oar2-server:$rel" /usr/share/oar/oar-common/oar.conf \
            >"$OAR3_STOCK_CONF_DIR/oar.conf.deb$rel" || return 1
    done
}

unit_tests() {
    # Against the installed collection, so the imports are the users' ones.
    (cd "$installed" && pytest -q -p no:cacheprovider tests/unit)
}

# The tests run the collection as users get it: built, then installed.
step "build and install the collection tarball" install_collection "$work"
# The checks that need no OAR2 server (lint, sanity, docs, unit tests: 90 s,
# mostly CPU) run beside the first scenarios, whose time goes mostly to
# waiting for containers and rounds; their output and timings are shown,
# and a failure fails the run, once they are joined (before the kamelot
# scenario, whose round timings must not share the cores).
gates() {
    timings=()
    step "stock oar.conf files from the images" stock_confs
    step "yamllint" yamllint --strict .
    step "changelog fragments" antsibull-changelog lint
    # After the install: the playbooks' oar.oar3 roles and modules resolve to the
    # copy just built (first in ANSIBLE_COLLECTIONS_PATH), never to an older one
    # that molecule may have left in ~/.ansible/collections.
    step "ansible-lint (production profile)" ansible-lint --offline --profile production -q
    step "ansible-test sanity" sanity
    # The HTML docs site, built without a warning, and its module and role pages
    # checked in headless Chromium screenshots (tools/tests/test_docs_site.py).
    step "docs site" "$TOOLS_DIR/docs.sh" "$work/docs"
    step "setup-script tests" pytest -q -p no:cacheprovider --ignore=tools/tests/test_docs_site.py tools/tests
    step "unit tests" unit_tests
    printf '%s\n' "${timings[@]}" >"$work/gates.timings"
}
join_gates() {
    [ -n "$gates_pid" ] || return 0
    local rc=0
    wait "$gates_pid" || rc=$?
    gates_pid=
    cat "$work/gates.log"
    [ "$rc" -eq 0 ] || die "the checks beside the scenarios failed (output above)."
    mapfile -t -O "${#timings[@]}" timings <"$work/gates.timings"
}
# The DB passwords of the scenario's servers (random per container), one per line.
db_passwords() {
    local c
    for c in $(docker ps -q --filter label=owner=molecule); do
        docker exec "$c" sh -c '[ ! -f /etc/oar/oar.conf ] ||
            sed -n "s/^DB_BASE_PASSWD\(_RO\)\{0,1\}=\"\(.\{1,\}\)\"$/\2/p" /etc/oar/oar.conf'
    done
}
# The names of the scenarios' servers, whichever run made them.
molecule_servers() { docker ps -a --filter label=owner=molecule --format '{{.Names}}'; }
logs="$STATE_DIR/test-logs"
mkdir -p "$logs"
scenario() {
    local log="$logs/molecule-$1.log" rc=0 secrets found left
    # No destroy first (4 s a scenario): remove_stale_servers has removed what
    # an interrupted run left, and the test sequence's own destroy runs when
    # molecule's state says that the scenario's servers were made.
    : >"$log"
    # All of the output goes to the log (molecule's playbooks run with --diff
    # -vvv); the servers are destroyed only once it is searched for their DB
    # passwords, failed or not.
    molecule test -s "$1" --destroy never 2>&1 | tee -a "$log" |
        grep --line-buffered -E '^(INFO|WARNING|ERROR)|^=+ .* =+$' || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 150 "$log" >&2; echo "molecule test -s $1 failed (log: $log)" >&2; }
    secrets=$(db_passwords)
    molecule destroy -s "$1" >>"$log" 2>&1 || { echo "molecule destroy -s $1 failed (log: $log)" >&2; return 1; }
    if [ -z "$secrets" ]; then
        echo "no DB password could be read from the servers of scenario $1 (log: $log)" >&2
        return 1
    fi
    found=$(grep -c -F -f <(printf '%s\n' "$secrets") "$log") || true
    [ "$found" = 0 ] || { echo "a DB password of the servers is in $found line(s) of $log" >&2; return 1; }
    [ "$rc" -eq 0 ] || return 1
    # Destroying must leave nothing behind.
    left=$(molecule_servers)
    [ -z "$left" ] || { echo "containers left behind by scenario $1: $left" >&2; return 1; }
}
# A run that was killed (a lost session, a timed-out CI job) leaves its
# servers running; the scenarios' own destroy only knows its own platforms, and
# the check above would blame the next scenario. One suite runs at a time.
remove_stale_servers() {
    local stale
    stale=$(molecule_servers)
    [ -n "$stale" ] || return 0
    echo "removing servers left by an earlier, interrupted run: ${stale//$'\n'/ }"
    # shellcheck disable=SC2086
    docker rm -f -v $stale >/dev/null
}
step "servers left by an earlier run" remove_stale_servers
gates >"$work/gates.log" 2>&1 &
gates_pid=$!
for s in "${SCENARIOS[@]}"; do
    case $s in modules | dependencies | debs) ;; *) join_gates ;; esac
    step "molecule test -s $s" scenario "$s"
done
join_gates
[ $# -gt 0 ] || step "benchmarks, smoke run" bash bench/run.sh --smoke

printf '\nTimings:\n'
printf '%s\n' "${timings[@]}"
printf '%5d s  total\n' "$SECONDS"
# What bench/run.sh reports as suite_s: the whole test command, from this clone.
[ $# -gt 0 ] || printf '%d %s %s\n' "$SECONDS" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$logs/suite-seconds"
