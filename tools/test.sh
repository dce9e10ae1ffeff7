#!/usr/bin/env bash
# The whole test suite, from nothing: toolchain venv, Docker engine, test
# images, then lint, build + sanity of the collection tarball, unit tests and
# every molecule scenario. Re-runs reuse the venv, images and apt cache.
#   bash tools/test.sh               everything
#   bash tools/test.sh modules       only the named molecule scenarios (or ee, the execution environment step)
# With no argument it ends with the benchmarks' smoke run (bench/run.sh --smoke).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian
cd "$REPO_DIR"

# The order of the measured run.
# ee is not a molecule scenario: the execution environment step (tools/ee/run.sh).
SCENARIOS=(modules dependencies debs kamelot kao default ee faults)
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
step "the newest ansible-core's venv" "$TOOLS_DIR/venv.sh" newest
newest_python=$("$NEWEST_VENV_DIR/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
step "docker engine and test images" "$TOOLS_DIR/images/build.sh"
export PATH="$VENV_DIR/bin:$PATH"

work=$(mktemp -d /var/tmp/oar3-test.XXXXXX)
gates_pid=
# A failed scenario ends the run: the checks beside it finish first, so that nothing is left running in $work.
trap '[ -z "$gates_pid" ] || wait "$gates_pid" 2>/dev/null; rm -rf "$work" ${ctl_work:+"$ctl_work"}' EXIT
# The kamelot, kao, default and faults scenarios build the same OAR3 source: once per test run.
export OAR3_TEST_DEBS_DIR="$work/oar3-debs"
export MOLECULE_GLOB="molecule/*/molecule.yml"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
# One docker exec per task instead of four (measured: a role run in half the time).
export ANSIBLE_PIPELINING=1

installed="$work/collections/ansible_collections/oar/oar3"
sanity() {  # venv python-version: ansible-test sanity of the installed copy, with that venv's ansible-core
    local pip_version
    pip_version=$("$1/bin/python" -c 'import sys; from ansible_test._internal.python_requirements import get_venv_packages as g; from ansible_test._internal.host_configs import NativePythonConfig as P; print(g(P(version=sys.argv[1]))["pip"])' "$2")
    mkdir -p ~/.ansible/test/cache
    cp "$TOOLS_DIR/ansible_test_get_pip.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
    # ansible-test wants a git work tree to list the files it checks.
    (cd "$installed" && { [ -d .git ] || { git init -q && git add -A; }; } &&
        "$1/bin/ansible-test" sanity --python "$2" --color no 2>&1 | { grep -v "^WARNING: Location " || true; })
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

installed_lint() {
    [ ! -e "$installed/.ansible-lint" ] || { echo "the collection ships .ansible-lint: build_ignore lost it" >&2; return 1; }
    (cd "$installed" && ansible-lint --offline --profile production -q -x 'var-naming[no-role-prefix]' 2>&1 |
        { grep -v "^WARNING.*\(PATH altered\|failed to assign id\)" || true; })
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
    # The tarball as Galaxy and users get it, without the repo's .ansible-lint,
    # skipping only the rule that wants a prefix per role: the collection's
    # variables share one prefix, oar3_ (see .ansible-lint).
    step "ansible-lint of the installed collection" installed_lint
    step "ansible-test sanity (ansible-core 2.19)" sanity "$VENV_DIR" 3.11
    step "ansible-test sanity (the newest ansible-core)" sanity "$NEWEST_VENV_DIR" "$newest_python"
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
        db_passwords_of "$c"
    done
}
# The names of the scenarios' servers, whichever run made them.
molecule_servers() { docker ps -a --filter label=owner=molecule --format '{{.Names}}'; }
# The default scenario runs as ops teams and AWX run playbooks: as an
# unprivileged controller user (CTL_USER: in group docker, to reach the test
# containers, and no sudo right), with the newest ansible-core, on the
# collection installed by that user from the tarball, with become on the
# servers (its inventory sets ansible_become). Controller-side work that used
# become would fail there. The other scenarios run as root on ansible-core 2.19.
CTL_USER=oar3-ctl
AS_CTL_SCENARIOS=" default "
ctl_work=
as_ctl_setup() {
    id -u "$CTL_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups docker "$CTL_USER" ||
        return 1
    if id -nG "$CTL_USER" | grep -qwE 'sudo|wheel|root' || grep -rqsw "$CTL_USER" /etc/sudoers /etc/sudoers.d; then
        echo "$CTL_USER may use sudo: the unprivileged controller must not" >&2
        return 1
    fi
    ctl_work=$(mktemp -d /var/tmp/oar3-ctl.XXXXXX)
    mkdir "$ctl_work/repo"
    # The work tree as it is (tracked and new files), not .git.
    git -C "$REPO_DIR" ls-files -z -co --exclude-standard | tar -C "$REPO_DIR" --null -T - -cf - | tar -C "$ctl_work/repo" -xf -
    cp "$work"/oar-oar3-*.tar.gz "$ctl_work/"
    # The test run's one build of OAR3, when there is one yet.
    [ ! -d "$OAR3_TEST_DEBS_DIR" ] || cp -a "$OAR3_TEST_DEBS_DIR" "$ctl_work/oar3-debs"
    # The real OAR3, as the user's own copy: git refuses a repository that another user owns.
    [ -z "${OAR3_SOURCE:-}" ] || git clone -q --mirror "$OAR3_SOURCE" "$ctl_work/oar3-source"
    chown -R "$CTL_USER:" "$ctl_work"
    # molecule finds .config/molecule/config.yml at the root of the work tree's VCS.
    as_ctl git init -q .
    as_ctl ansible-galaxy collection install --offline -p "$ctl_work/collections" "$ctl_work"/oar-oar3-*.tar.gz >/dev/null
}
as_ctl() {  # command...: run by CTL_USER in its copy of the repo, with the newest ansible-core
    runuser -u "$CTL_USER" -- env -i HOME="$(getent passwd "$CTL_USER" | cut -d: -f6)" USER="$CTL_USER" LANG=C.UTF-8 \
        PATH="$NEWEST_VENV_DIR/bin:/usr/local/bin:/usr/bin:/bin" \
        ANSIBLE_COLLECTIONS_PATH="$ctl_work/collections:$NEWEST_VENV_DIR/collections" \
        OAR3_TEST_DEBS_DIR="$ctl_work/oar3-debs" OAR3_STATE_DIR="$STATE_DIR" ${OAR3_SOURCE:+OAR3_SOURCE="$ctl_work/oar3-source"} \
        MOLECULE_GLOB="$MOLECULE_GLOB" ANSIBLE_PIPELINING=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1 \
        bash -c 'cd "$0" && exec "$@"' "$ctl_work/repo" "$@"
}
logs="$STATE_DIR/test-logs"
mkdir -p "$logs"
scenario() {
    local log="$logs/molecule-$1.log" rc=0 secrets found left mol=(molecule)
    if [[ $AS_CTL_SCENARIOS == *" $1 "* ]]; then
        as_ctl_setup || { echo "cannot set up the unprivileged controller user $CTL_USER" >&2; return 1; }
        mol=(as_ctl molecule)
        echo "scenario $1: as $CTL_USER (no sudo right), $(as_ctl ansible --version | head -n 1)"
    fi
    # No destroy first (4 s a scenario): remove_stale_servers has removed what
    # an interrupted run left, and the test sequence's own destroy runs when
    # molecule's state says that the scenario's servers were made.
    : >"$log"
    # All of the output goes to the log (molecule's playbooks run with --diff
    # -vvv); the servers are destroyed only once it is searched for their DB
    # passwords, failed or not.
    "${mol[@]}" test -s "$1" --destroy never 2>&1 | tee -a "$log" |
        grep --line-buffered -E '^(INFO|WARNING|ERROR)|^=+ .* =+$' || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 150 "$log" >&2; echo "molecule test -s $1 failed (log: $log)" >&2; }
    secrets=$(db_passwords)
    "${mol[@]}" destroy -s "$1" >>"$log" 2>&1 || { echo "molecule destroy -s $1 failed (log: $log)" >&2; return 1; }
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
    [ -z "$ctl_work" ] || { rm -rf "$ctl_work"; ctl_work=; }
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
    if [ "$s" = ee ]; then
        step "execution environment: ansible-builder, then migrate.yml by ansible-runner" \
            "$TOOLS_DIR/ee/run.sh" "$(ls "$work"/oar-oar3-*.tar.gz)" "$OAR3_TEST_DEBS_DIR"
        continue
    fi
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
