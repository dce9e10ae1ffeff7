"""Role oar.oar3.kao on Debian 12 and 13 OAR2 servers (after debs and
kamelot): the switch, the record, Almighty running kao, no needless restart,
check mode, refusals. (Then test_kao_restarts.py, and test_kao_rollback.py
last.)"""

import json

from kaotest import LOG, almighty_pid, kao, log_since, log_size, logs_launches, state
from oartest import bash_reads, job_state, perl_reads, psql, wait_for

testinfra_hosts = ["oar2-deb12", "oar2-deb13"]


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
    # The smoke job of the restart (the only job of oaruser not held) was placed.
    rows = psql(host, "SELECT j.state, count(a.resource_id) FROM jobs j "
                      "JOIN moldable_job_descriptions m ON m.moldable_job_id = j.job_id "
                      "LEFT JOIN assigned_resources a ON a.moldable_job_id = m.moldable_id "
                      "WHERE j.job_user = 'oaruser' AND j.state <> 'Hold' GROUP BY j.job_id, j.state").splitlines()
    assert len(rows) == 1, rows
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


def test_check_mode_changes_nothing_and_diff_hides_secrets(host):
    before = state(host)
    run = kao(host, check=True, diff=True, verbosity=3, oar3_kao_state="absent")
    assert run.rc == 0 and run.changed() > 0, run.failures()
    assert state(host) == before
    assert 'META_SCHED_CMD=\\"kao\\"' in run.output  # the diff's "before" side
    # run_play has checked that no DB password is in that output.


def test_quotas_without_their_file_are_refused(host):
    # On the switched server: the check is made on every run, not only the first.
    host.check_output("cp -p /etc/oar/oar.conf /root/oar.conf.keep && echo 'QUOTAS=\"yes\"' >>/etc/oar/oar.conf")
    try:
        before = state(host)
        run = kao(host)
        assert run.rc != 0
        assert "QUOTAS_CONF_FILE /etc/oar/quotas_conf.json cannot be read" in "\n".join(run.failures().values())
        assert state(host) == before
    finally:
        host.check_output("mv /root/oar.conf.keep /etc/oar/oar.conf")
