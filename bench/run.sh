#!/usr/bin/env bash
# Benchmarks on fresh containerised OAR2 servers (Debian 12), in one run.
# migrate.yml always runs with a separate build host (group oar3_builders), as
# examples/inventory.yml recommends; the seed script builds on the
# server, as the upstream page does.
#   1. bench/seed-procedure.sh (the upstream page as one bash script) versus
#      playbooks/migrate.yml on one server, cold: time and tasks run
#   2. migrate.yml again on the migrated server: time, tasks run, changed
#      count, rounds watched and whether oar-server was restarted
#   3. migrate.yml on 4 and 8 servers in one play (one build, many installs),
#      with the per-task profile of the largest run, and the seed script on as
#      many servers at once: what the machine itself allows
#   4. building python3-oar: the collection's pybuild method versus upstream's
#      packaging, each on a fresh builder
# Each figure is the median of the repetitions. OAR3 is the stand-in fixture
# (molecule/shared/oar3-standin); when OAR3_SOURCE names a checkout of the
# real OAR3, 1 is also run with it, in the same run.
#   bash bench/run.sh                 all of it, 3 repetitions (about 50 minutes on 2 cores)
#   bash bench/run.sh --reps N        N repetitions
#   bash bench/run.sh --smoke         1 (without the seed script) and 2 once, on one
#                                     server; fails unless both succeed and the re-run
#                                     changes nothing
# The table goes to stdout and, with the logs and profiles, to
# $OAR3_STATE_DIR/bench/<time>/ (bench/smoke/ for --smoke). It ends with one
# line of the figures, for bench/RESULTS.md (suite_s: the last full run of
# tools/test.sh on this machine, which records it).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/../tools/lib.sh"
require_root_debian
cd "$REPO_DIR"

reps=3 smoke=
case "${1:-}" in
    "") ;;
    --smoke) [ $# -eq 1 ] || die "--smoke takes no other argument."; reps=1 smoke=1 ;;
    --reps)
        [[ $# -eq 2 && ${2:-} =~ ^[1-9][0-9]?$ ]] || die "--reps takes one number from 1 to 99, not '${2:-}'."
        reps=$2 ;;
    *) die "unknown argument '$1': use no argument, --reps N or --smoke." ;;
esac
REL=12
PROCSET_URL=$(sed -n 's/^oar3_procset_source: //p' roles/debs/defaults/main.yml)
OAR3_VERSION=3.0.1  # what the dependencies role picks on Debian 12
# The stand-in unless a run says otherwise (serve_oar3.yml reads OAR3_SOURCE).
real_source=${OAR3_SOURCE:-}
unset OAR3_SOURCE
[ -z "$real_source" ] || git -C "$real_source" rev-parse -q --verify "$OAR3_VERSION^{commit}" >/dev/null ||
    die "OAR3_SOURCE=$real_source is not a git checkout of OAR3 with the tag $OAR3_VERSION."

"$TOOLS_DIR/venv.sh"
export PATH="$VENV_DIR/bin:$PATH"
"$TOOLS_DIR/images/build.sh" "$REL"

out="$STATE_DIR/bench/$([ -n "$smoke" ] && echo smoke || date -u +%Y%m%dT%H%M%S)"
rm -rf "$out" && mkdir -p "$out"
remove_servers() { docker ps -aq --filter label=owner=oar3-bench | xargs -r docker rm -f >/dev/null; }
trap remove_servers EXIT
install_collection "$out" || die "the collection did not build or install into $out/collections."
export MOLECULE_EPHEMERAL_DIRECTORY="$out"  # where serve_oar3.yml leaves its git bundle
export ANSIBLE_PIPELINING=1 ANSIBLE_FORKS=10 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks,ansible.posix.profile_roles
export PROFILE_TASKS_TASK_OUTPUT_LIMIT=15

servers() {  # n [builder]: that many fresh servers (and a build host), booted and serving OAR3
    local i names=()
    for i in $(seq "$1"); do names+=("oar3-bench-$i:$REL"); done
    [ -z "${2:-}" ] || names+=("oar3-bench-builder:$REL:builder")
    start_oar2_servers "$out" oar3-bench "" "${names[@]}"
}
real_servers() {  # n [builder]: the same, serving the real OAR3 (its own git bundle)
    mkdir -p "$out/real"
    OAR3_SOURCE=$real_source MOLECULE_EPHEMERAL_DIRECTORY="$out/real" servers "$@"
}

elapsed=
timed() {  # log command...: runs it, output to log, seconds in $elapsed
    local t0 log=$1
    shift
    t0=$(date +%s.%N)
    "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "'$*' failed (log: $log)."; }
    elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    printf '    %6.1f s  %s\n' "$elapsed" "$(basename "$log" .log)" >&2
}

playbook() {  # log playbook debs-dir [extra args]: a cold build when debs-dir is new
    local log=$1 play=$2 debs=$3
    shift 3
    timed "$log" ansible-playbook -i "$out/inventory.yml" "$play" -e oar3_debs_dir="$debs" "$@"
}

recap() {  # log field [host]: the field (ok, changed, ...) of the play recap, summed over the hosts or of one
    awk -v field="$2" -v host="${3:-}" '/^PLAY RECAP/ {recap = 1} recap && / changed=/ && (host == "" || $1 == host) {
        for (i = 1; i <= NF; i++) if (index($i, field "=") == 1) { split($i, a, "="); n += a[2] } } END { print n + 0 }' "$1"
}
changed_count() { recap "$1" changed; }
# The tasks run on the first server: ok= counts the changed ones too.
tasks_run() { recap "$1" ok oar3-bench-1; }

# The tasks of the collection that watch a scheduling round (oar_sched_check).
ROUND_TASKS=("Check that a round since the switch ran kamelot cleanly and placed jobs"
    "Restart oar-server between two rounds, give every queue its state back, prove the first round"
    "Restart oar-server on the previous oar.conf and give every queue its state back"
    "Wake Almighty and watch the round")
rounds_watched() {  # log: how many times a round task ran on a server (not skipped)
    printf '%s\n' "${ROUND_TASKS[@]}" | awk 'NR == FNR { names[$0] = 1; next }
        /^TASK \[/ { t = $0; sub(/^TASK \[([^]:]* : )?/, "", t); sub(/\] \**$/, "", t); watch = (t in names); next }
        watch && /^(ok|changed|failed|fatal): \[/ { n++ } END { print n + 0 }' - "$1"
}

started() {  # when oar-server last (re)started on the first server
    docker exec oar3-bench-1 systemctl show -P ActiveEnterTimestampMonotonic oar-server
}

seed_on() {  # n: the seed script on servers 1..n at once (the files are copied first)
    local i pids=() rc=0
    for i in $(seq "$1"); do
        docker exec -e OAR3_REPO=/srv/oar3.git -e OAR3_VERSION="$OAR3_VERSION" -e PROCSET_SDIST=/root/procset.tar.gz \
            "oar3-bench-$i" bash /root/seed-procedure.sh &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    return $rc
}

seed() {  # log n: seed_on n, timed, on servers that have the script and procset's sdist
    local i
    [ -s "$out/procset.tar.gz" ] || python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(*sys.argv[1:])' \
        "$PROCSET_URL" "$out/procset.tar.gz" || die "cannot download $PROCSET_URL"
    for i in $(seq "$2"); do
        docker cp bench/seed-procedure.sh "oar3-bench-$i:/root/seed-procedure.sh"
        docker cp "$out/procset.tar.gz" "oar3-bench-$i:/root/procset.tar.gz"
    done
    timed "$1" seed_on "$2"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | python3 -c 'import statistics, sys; print("%.1f" % statistics.median(map(float, sys.stdin)))'; }

script_t=() play_t=() rerun_t=() rerun_changed=() rerun_restarts=0 rerun_rounds=() real_script_t=() real_play_t=()
for r in $(seq "$reps"); do
    # The smoke run checks the collection, not the baseline: it leaves the seed script out (45 s).
    if [ -z "$smoke" ]; then
        say "repetition $r of $reps: the seed script on one server"
        servers 1
        seed "$out/seed-$r.log" 1
        script_t+=("$elapsed")
    fi

    say "repetition $r of $reps: migrate.yml on one server and a build host, cold, then again"
    servers 1 builder
    [ -n "${oar2_version:-}" ] || oar2_version=$(docker exec oar3-bench-1 dpkg-query -W -f='${Version}' oar-server)
    playbook "$out/migrate-1-$r.log" oar.oar3.migrate "$out/debs-1-$r"
    play_t+=("$elapsed")
    # The names in ROUND_TASKS are right only if a cold run, which proves its change, shows them.
    [ "$(rounds_watched "$out/migrate-1-$r.log")" -gt 0 ] ||
        die "no round task of ROUND_TASKS ran in the cold run: their names are out of date (log: $out/migrate-1-$r.log)."
    before=$(started)
    playbook "$out/rerun-$r.log" oar.oar3.migrate "$out/debs-1-$r"
    rerun_t+=("$elapsed")
    rerun_changed+=("$(changed_count "$out/rerun-$r.log")")
    rerun_rounds+=("$(rounds_watched "$out/rerun-$r.log")")
    [ "$(started)" = "$before" ] || rerun_restarts=$((rerun_restarts + 1))

    if [ -n "$real_source" ]; then
        say "repetition $r of $reps: the real OAR3 ($real_source): the seed script, then migrate.yml, on one server"
        real_servers 1
        seed "$out/real-seed-$r.log" 1
        real_script_t+=("$elapsed")
        real_servers 1 builder
        playbook "$out/real-migrate-1-$r.log" oar.oar3.migrate "$out/real-debs-1-$r"
        real_play_t+=("$elapsed")
    fi
done
tasks_cold=$(tasks_run "$out/migrate-1-1.log") tasks_rerun=$(tasks_run "$out/rerun-1.log")

scale_rows=""
if [ -z "$smoke" ]; then
    # The builds first: they are shorter, and the largest run comes last.
    build_rows=""
    for method in pybuild upstream; do
        times=()
        for r in $(seq "$reps"); do
            say "repetition $r of $reps: build.yml, $method, fresh builder"
            servers 1 builder
            playbook "$out/build-$method-$r.log" oar.oar3.build "$out/build-$method-$r" -e oar3_debs_build_method="$method"
            times+=("$elapsed")
        done
        build_rows+="| build.yml ($method), fresh builder | $(median "${times[@]}") | |"$'\n'
    done
    for n in 4 8; do
        times=() script_n=()
        for r in $(seq "$reps"); do
            say "repetition $r of $reps: the seed script on $n servers at once"
            servers "$n"
            seed "$out/seed-$n-$r.log" "$n"
            script_n+=("$elapsed")
            say "repetition $r of $reps: migrate.yml on $n servers and a build host, cold"
            servers "$n" builder
            playbook "$out/migrate-$n-$r.log" oar.oar3.migrate "$out/debs-$n-$r"
            times+=("$elapsed")
        done
        s=$(median "${script_n[@]}") m=$(median "${times[@]}")
        [ "$n" != 8 ] || scale8_ratio=$(ratio "$m" "$s")
        scale_rows+="| seed-procedure.sh, $n servers at once, cold | $s | $(ratio "$s" "$(median "${script_t[@]}")")x of 1 server |"$'\n'
        scale_rows+="| migrate.yml, $n servers, cold | $m | $(ratio "$m" "$(median "${play_t[@]}")")x of 1 server, $(ratio "$m" "$s")x the script |"$'\n'
    done
fi
remove_servers

play_m=$(median "${play_t[@]}")
script_m="not run (--smoke)" cold_ratio=none cold_ratio_real=none
if [ -z "$smoke" ]; then
    script_m=$(median "${script_t[@]}")
    cold_ratio=$(ratio "$play_m" "$script_m")
fi
if [ -n "$real_source" ]; then
    real_script_m=$(median "${real_script_t[@]}") real_play_m=$(median "${real_play_t[@]}")
    cold_ratio_real=$(ratio "$real_play_m" "$real_script_m")
fi
{
    printf '%s, %s cores, %s GiB; Debian %s servers (OAR2 %s), OAR3 %s (%s); %s; %s repetition(s), medians in seconds\n\n' \
        "$(date -u +%Y-%m-%d)" "$(nproc)" "$(free -g | awk '/^Mem:/ {print $2}')" "$REL" "$oar2_version" "$OAR3_VERSION" \
        "${OAR3_SOURCE:-stand-in fixture}" "$(ansible --version | sed -n '1s/[][]//gp')" "$reps"
    echo "| run | seconds | note |"
    echo "|---|---|---|"
    echo "| seed-procedure.sh, 1 server, cold | $script_m | |"
    echo "| migrate.yml, 1 server + build host, cold | $play_m | ${cold_ratio}x the script; $tasks_cold tasks run on the server |"
    echo "| migrate.yml again, 1 server | $(median "${rerun_t[@]}") | changed: ${rerun_changed[*]}; $tasks_rerun tasks run; rounds watched: ${rerun_rounds[*]}; oar-server restarted in $rerun_restarts of $reps |"
    if [ -n "$real_source" ]; then
        echo "| real OAR3: seed-procedure.sh, 1 server, cold | $real_script_m | $(git -C "$real_source" describe --tags) checkout, tag $OAR3_VERSION built |"
        echo "| real OAR3: migrate.yml, 1 server + build host, cold | $real_play_m | ${cold_ratio_real}x the script |"
    fi
    printf '%s%s' "$scale_rows" "${build_rows:-}"
} | tee "$out/results.md"
if [ -z "$smoke" ]; then
    printf '\nWhere the time goes on 8 servers (profile_tasks, first repetition):\n'
    sed -n '/^TASKS RECAP/,/^$/p;/^ROLES RECAP/,/^$/p' "$out/migrate-8-1.log"
fi | tee -a "$out/results.md"
max() { printf '%s\n' "$@" | sort -n | tail -n 1; }
suite_s=unmeasured
[ ! -s "$STATE_DIR/test-logs/suite-seconds" ] || suite_s=$(cut -d' ' -f1 "$STATE_DIR/test-logs/suite-seconds")
printf '\nsummary: cold_ratio=%s cold_ratio_real=%s rerun_s=%s rerun_changed=%s tasks_cold=%s tasks_rerun=%s scale8_ratio=%s suite_s=%s\n' \
    "$cold_ratio" "$cold_ratio_real" \
    "$(median "${rerun_t[@]}")" "$(max "${rerun_changed[@]}")" "$tasks_cold" "$tasks_rerun" "${scale8_ratio:-none}" "$suite_s" |
    tee -a "$out/results.md"
say "results and logs: $out"

# The smoke run is part of the test command: the re-run must change nothing
# and must not restart oar-server.
for c in "${rerun_changed[@]}"; do
    [ "$c" = 0 ] || die "migrate.yml changed something on a re-run (changed: ${rerun_changed[*]}; logs: $out/rerun-*.log)."
done
[ "$rerun_restarts" -eq 0 ] || die "migrate.yml restarted oar-server on its re-run ($rerun_restarts times)."
for c in "${rerun_rounds[@]}"; do
    [ "$c" = 0 ] || die "migrate.yml watched a scheduling round on a re-run with nothing to change (logs: $out/rerun-*.log)."
done
