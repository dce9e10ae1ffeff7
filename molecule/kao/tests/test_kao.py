"""Role oar.oar3.kao on Debian 12 and 13 OAR2 servers (after debs and
kamelot): the switch, the record, Almighty running kao, no needless restart,
the rollback of a failing kao, and the way back to OAR2."""

import json

import pytest
from oartest import (bash_reads, job_state, perl_reads, psql, queue_table, role_play, run_play, submit_noop,
                     wait_for)

testinfra_hosts = ["oar2-deb12", "oar2-deb13"]

LOG = "/var/log/oar.log"


def kao(host, check=False, **role_vars):
    return run_play(host, role_play("kao", **role_vars), limit=host.backend.host, check=check)


def almighty_pid(host):
    return host.check_output("pgrep -o -f '^/usr/bin/perl /usr/lib/oar/Almighty'")


def log_size(host):
    return host.file(LOG).size


def log_since(host, size):
    return host.check_output("tail -c +%s %s", str(size + 1), LOG)


def logs_launches(host):
    """OAR2 2.6.1 (Debian 13) logs Almighty's launches at LOG_LEVEL 2; 2.5.9 only at 3."""
    return host.backend.host == "oar2-deb13"


def state(host):
    """What a refused or check-mode run must leave as it is."""
    return (queue_table(host), host.check_output("md5sum /etc/oar/oar.conf"), almighty_pid(host),
            host.run("ls -l /etc/ansible/facts.d").stdout)


def test_oar_conf_keys_read_back_in_bash_and_perl(host):
    for key, value in (("META_SCHED_CMD", "kao"), ("METASCHEDULER_OAR3_WITH_OAR2", "yes")):
        assert bash_reads(host, key) == value
        assert perl_reads(host, key) == value


def test_what_was_replaced_is_recorded(host):
    record = json.loads(host.file("/etc/ansible/facts.d/oar3_kao.fact").content_string)
    assert record == {"meta_sched_cmd": None, "metascheduler_oar3_with_oar2": None}


def test_almighty_runs_kao(host):
    assert host.service("oar-server").is_running
    since_start = host.check_output("tac %s | sed '/Start Almighty/q' | tac", LOG)
    assert "oar_meta_sched" not in since_start
    assert "returned an unknown value" not in since_start
    if logs_launches(host):
        assert "Launching command: [/usr/lib/oar/kao]" in since_start
        assert "/usr/lib/oar/kao terminated with exit value: 0" in since_start
    # Every smoke job (kamelot's, then kao's after the restart) was placed.
    rows = psql(host, "SELECT j.state, count(a.resource_id) FROM jobs j "
                      "JOIN moldable_job_descriptions m ON m.moldable_job_id = j.job_id "
                      "LEFT JOIN assigned_resources a ON a.moldable_job_id = m.moldable_id "
                      "WHERE j.job_user = 'oaruser' AND j.state <> 'Hold' GROUP BY j.job_id, j.state").splitlines()
    assert len(rows) == 2, rows
    assert all(r.split("|")[0] in ("Terminated", "Error") and int(r.split("|")[1]) >= 1 for r in rows), rows


def test_a_job_from_before_the_switch_is_scheduled_under_kao(host):
    job = host.file("/root/queues.before.job").content_string.strip()
    assert job_state(host, job) == "Hold"
    size = log_size(host)
    host.check_output("oarresume %s", job)
    wait_for("job %s to be scheduled" % job, lambda: job_state(host, job) in ("Running", "Terminated"), timeout=60)
    if logs_launches(host):
        assert "Launching command: [/usr/lib/oar/kao]" in log_since(host, size)
    host.run("oardel %s", job)


def test_a_second_run_changes_nothing_and_does_not_restart(host):
    pid, size = almighty_pid(host), log_size(host)
    run = kao(host)
    assert run.rc == 0 and run.changed() == 0, run.failures()
    assert almighty_pid(host) == pid
    assert "Start Almighty" not in log_since(host, size)


def test_check_mode_changes_nothing(host):
    before = state(host)
    run = kao(host, check=True, oar3_kao_state="absent")
    assert run.rc == 0 and run.changed() > 0, run.failures()
    assert state(host) == before


REFUSALS = [
    ({"oar3_kao_state": "maybe"}, "oar3_kao_state must be one of: present, absent"),
    ({"oar3_kao_smoke_user": ""}, "oar3_kao_smoke_user is empty"),
    ({"oar3_kao_timeout": "soon"}, "oar3_kao_timeout"),
]


@pytest.mark.parametrize("extra, message", REFUSALS, ids=[m[:30] for _, m in REFUSALS])
def test_bad_input_is_refused_and_changes_nothing(host, extra, message):
    before = state(host)
    run = kao(host, oar3_kao_state="absent", **extra)
    assert run.rc != 0
    assert message in "\n".join(run.failures().values()), run.failures()
    assert state(host) == before


def test_quotas_without_their_file_are_refused(host):
    host.check_output("cp -p /etc/oar/oar.conf /root/oar.conf.keep && echo 'QUOTAS=\"yes\"' >>/etc/oar/oar.conf")
    try:
        assert kao(host, oar3_kao_state="absent").rc == 0  # going back is never refused for OAR3's sake
        before = state(host)
        run = kao(host)
        assert run.rc != 0
        assert "QUOTAS_CONF_FILE /etc/oar/quotas_conf.json cannot be read" in "\n".join(run.failures().values())
        assert state(host) == before
    finally:
        host.check_output("mv /root/oar.conf.keep /etc/oar/oar.conf")
        assert kao(host).rc == 0


def test_a_failing_kao_is_rolled_back(host):
    # Almighty stops on a metascheduler exit value other than 0, 1 or 2.
    assert kao(host, oar3_kao_state="absent").rc == 0
    before = state(host)[:2]
    host.check_output("cp -p /usr/lib/oar/kao /root/kao.real && printf '#!/bin/sh\\nexit 3\\n' >/usr/lib/oar/kao")
    try:
        size = log_size(host)
        run = kao(host)
        assert run.rc != 0
        failure = "\n".join(run.failures().values())
        assert "oar.conf was put back as it was before this run" in failure, failure
        assert "returned an unknown value" in failure, failure
        assert state(host)[:2] == before  # oar.conf byte for byte, and the queues
        assert host.service("oar-server").is_running
        if logs_launches(host):
            wait_for("a round by oar_meta_sched",
                     lambda: "[/usr/lib/oar/oar_meta_sched]" in log_since(host, size).split("Start Almighty")[-1])
    finally:
        host.check_output("cp -p /root/kao.real /usr/lib/oar/kao")
    run = kao(host)
    assert run.rc == 0, run.failures()


def test_restarts_during_rounds_leave_every_queue_as_it_was(host):
    # Jobs keep coming (so rounds keep running) while the role restarts oar-server, back and forth.
    psql(host, "UPDATE queues SET state = 'notActive' WHERE queue_name = 'admin'")  # an admin's choice
    before = queue_table(host)
    host.check_output("nohup bash -c 'for i in $(seq 400); do runuser -u oaruser -- oarsub -t noop "
                      "-l resource_id=1,walltime=0:01:00 true; sleep 0.3; done' >/dev/null 2>&1 & echo $! >/root/feeder")
    restored = []
    try:
        for n, wanted in enumerate(["absent", "present"] * 3):
            run = kao(host, oar3_kao_state=wanted)
            assert run.rc == 0, (n, run.failures())
            restored += [line for line in run.output.splitlines() if "Restarting oar-server changed queue" in line]
            assert queue_table(host) == before, n
    finally:
        host.run("kill $(cat /root/feeder)")
        psql(host, "UPDATE queues SET state = 'Active' WHERE queue_name = 'admin'")
    print("%s: %d of 6 restarts needed queues given back" % (host.backend.host, len(restored)))


def test_rollback_gives_back_oar2_byte_for_byte(host):
    size = log_size(host)
    run = kao(host, oar3_kao_state="absent")
    assert run.rc == 0, run.failures()
    if logs_launches(host):
        assert "Launching command: [/usr/lib/oar/oar_meta_sched]" in log_since(host, size)
    assert not host.file("/etc/ansible/facts.d/oar3_kao.fact").exists
    assert run_play(host, role_play("kamelot", oar3_kamelot_state="absent"), limit=host.backend.host).rc == 0
    assert host.check_output("cmp /root/oar.conf.before /etc/oar/oar.conf && echo same") == "same"
    assert "\n".join("|".join(r) for r in queue_table(host)) == host.file("/root/queues.before").content_string.strip()
    job = submit_noop(host, "resource_id=1")
    wait_for("job %s to be scheduled by OAR2" % job, lambda: job_state(host, job) in ("Running", "Terminated"))
    again = kao(host, oar3_kao_state="absent")
    assert again.rc == 0 and again.changed() == 0, again.failures()
