"""Role oar.oar3.kamelot on Debian 12 and 13 OAR2 servers: the switch, the
record, the checks, the refusals, the rollback. (Then
test_kamelot_failing.py, on both servers at once.)"""

import json

import pytest
from oartest import job_state, psql, queue_table, role_play, run_play, wait_for

testinfra_hosts = ["oar2-deb12", "oar2-deb13"]

GANTT_QUOTAS = "oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas"


def log_has(host, text):
    return host.run("grep -qF -- %s /var/log/oar.log", text).rc == 0


def kamelot(host, check=False, **role_vars):
    return run_play(host, role_play("kamelot", **role_vars), limit=host.backend.host, check=check)


def state(host):
    """What a refused or check-mode run must leave as it is."""
    return (queue_table(host), host.check_output("md5sum /etc/oar/oar.conf"),
            host.run("ls -l /usr/lib/oar/schedulers /etc/ansible/facts.d").stdout,
            psql(host, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'jobs'"))


def test_the_link_exists_and_points_at_kamelot(host):
    link = host.file("/usr/lib/oar/schedulers/kamelot")
    assert link.is_symlink and link.linked_to == "/usr/lib/oar/kamelot"
    assert host.file("/usr/lib/oar/kamelot").mode & 0o111


def test_oar_conf_and_the_database(host):
    labels = host.check_output("bash -c %s", '. /etc/oar/oar.conf; printf %s "$HIERARCHY_LABELS"')
    assert labels == "resource_id,network_address,cpu,core"
    assert psql(host, "SELECT data_type FROM information_schema.columns "
                      "WHERE table_name = 'jobs' AND column_name = 'last_karma'") == "real"


def test_queues_switched_and_the_others_untouched(host):
    assert queue_table(host) == [
        ("admin", "10", GANTT_QUOTAS, "Active"),
        ("besteffort", "0", GANTT_QUOTAS, "Active"),
        ("default", "3", "kamelot", "Active"),
    ]


def test_what_was_replaced_is_recorded(host):
    record = json.loads(host.file("/etc/ansible/facts.d/oar3_kamelot.fact").content_string)
    assert record == {"queues": [{"name": "default", "priority": 2, "scheduler": GANTT_QUOTAS, "enabled": True}],
                      "hierarchy_labels": None}


def test_kamelot_placed_the_smoke_job_which_was_then_deleted(host):
    rows = psql(host, "SELECT j.job_id, j.state, count(a.resource_id) FROM jobs j "
                      "JOIN moldable_job_descriptions m ON m.moldable_job_id = j.job_id "
                      "LEFT JOIN assigned_resources a ON a.moldable_job_id = m.moldable_id "
                      "WHERE j.job_user = 'oaruser' AND j.state <> 'Hold' GROUP BY j.job_id, j.state").splitlines()
    assert len(rows) == 1, rows  # the smoke job of the converge (the idempotence run submits none)
    _job, job_state_now, resources = rows[0].split("|")
    assert job_state_now in ("Terminated", "Error") and int(resources) >= 1
    assert not log_has(host, "Traceback")
    assert not log_has(host, "Disabling queue")
    if host.backend.host == "oar2-deb13":  # OAR2 2.5.9 logs scheduler launches only at LOG_LEVEL 3
        assert log_has(host, "Queue default: Launching scheduler kamelot")


def test_a_job_from_before_the_switch_is_scheduled_by_kamelot(host):
    job = host.file("/root/queues.before.job").content_string.strip()
    assert job_state(host, job) == "Hold"
    size = host.file("/var/log/oar.log").size
    host.check_output("oarresume %s", job)
    wait_for("job %s to be scheduled" % job, lambda: job_state(host, job) in ("Running", "Terminated"), timeout=60)
    if host.backend.host == "oar2-deb13":
        assert "Queue default: Launching scheduler kamelot" in host.check_output("tail -c +%s /var/log/oar.log",
                                                                                 str(size + 1))
    host.run("oardel %s", job)


RECORD = "/etc/ansible/facts.d/oar3_kamelot.fact"


def test_a_re_run_rewrites_no_record_and_skips_the_change_steps(host):
    before = state(host), host.check_output("stat -c '%%Y %%s' %s", RECORD)
    run = kamelot(host)
    assert run.rc == 0 and run.changed() == 0, run.failures()
    me = {host.backend.host}
    assert run.ran("Check the server before any change") == me
    # The preflight saw the link, the key, the column and the queue in place.
    for step in ("Link kamelot into OAR2", "Set HIERARCHY_LABELS", "Give OAR2's database the column",
                 "Switch the queues to kamelot", "Check that a round since the switch"):
        assert run.ran(step) == set(), step
    assert (state(host), host.check_output("stat -c '%%Y %%s' %s", RECORD)) == before
    assert not host.file(RECORD + ".pending").exists


def test_a_setting_changed_by_hand_is_set_again_and_proven(host):
    host.check_output("cp -p /etc/oar/oar.conf /root/oar.conf.migrated")
    host.check_output("sed -i 's/^HIERARCHY_LABELS=.*/HIERARCHY_LABELS=\"resource_id,cpu\"/' /etc/oar/oar.conf")
    assert host.check_output("grep -c '^HIERARCHY_LABELS=\"resource_id,cpu\"' /etc/oar/oar.conf") == "1"
    queues = queue_table(host)
    run = kamelot(host)
    assert run.rc == 0, run.failures()
    assert "oar.oar3.kamelot : Set HIERARCHY_LABELS" in run.changed_tasks()
    assert run.ran("Check that a round since the switch") == {host.backend.host}
    assert run.ran("Switch the queues to kamelot") == {host.backend.host}  # in place: not changed
    assert "oar.oar3.kamelot : Switch the queues to kamelot, in one transaction" not in run.changed_tasks()
    assert host.check_output("cmp /root/oar.conf.migrated /etc/oar/oar.conf && echo same") == "same"
    assert queue_table(host) == queues
    assert not host.file(RECORD + ".pending").exists
    # The record keeps what the first switch replaced, not the hand edit.
    assert json.loads(host.file(RECORD).content_string)["hierarchy_labels"] is None


def test_check_mode_changes_nothing(host):
    before = state(host)
    run = kamelot(host, check=True, oar3_kamelot_queues=[{"name": "besteffort"}])
    assert run.rc == 0 and run.changed() > 0, run.failures()
    assert state(host) == before


@pytest.mark.parametrize("edit, message", [
    ('QUOTAS="yes"', 'QUOTAS="yes" but QUOTAS_CONF_FILE /etc/oar/quotas_conf.json cannot be read'),
    ('DB_BASE_PASSWD_RO="ro@pass:word"', "DB_BASE_PASSWD_RO contains '/'"),
])
def test_settings_oar3_cannot_run_with_are_refused(host, edit, message):
    host.check_output("cp -p /etc/oar/oar.conf /root/oar.conf.keep && echo %s >>/etc/oar/oar.conf", edit)
    try:
        before = state(host)
        run = kamelot(host, oar3_kamelot_queues=[{"name": "besteffort"}])
        assert run.rc != 0
        failure = "\n".join(run.failures().values())
        assert message.split(" contains")[0] in failure and "ro@pass" not in run.output
        assert state(host) == before
    finally:
        host.check_output("mv /root/oar.conf.keep /etc/oar/oar.conf")


def test_rollback_gives_back_oar2_byte_for_byte(host):
    run = kamelot(host, oar3_kamelot_state="absent")
    assert run.rc == 0, run.failures()
    assert host.check_output("cmp /root/oar.conf.before /etc/oar/oar.conf && echo same") == "same"
    assert "\n".join("|".join(r) for r in queue_table(host)) == host.file("/root/queues.before").content_string.strip()
    assert not host.file("/usr/lib/oar/schedulers/kamelot").exists
    assert not host.file("/etc/ansible/facts.d/oar3_kamelot.fact").exists
    again = kamelot(host, oar3_kamelot_state="absent")
    assert again.rc == 0 and again.changed() == 0, again.failures()


def test_check_mode_on_a_server_back_on_oar2_changes_nothing_and_diff_hides_secrets(host):
    before = state(host)
    run = run_play(host, role_play("kamelot"), limit=host.backend.host, check=True, diff=True, verbosity=3)
    assert run.rc == 0 and run.changed() > 0, run.failures()
    assert state(host) == before
    # The diff shows the oar.conf line and the queue's new scheduler, never a DB password.
    assert 'HIERARCHY_LABELS=\\"resource_id,network_address,cpu,core\\"' in run.output, run.output[-3000:]
    assert "scheduler: kamelot" in run.output, run.output[-3000:]
    # run_play has checked that no DB password is in that output.
