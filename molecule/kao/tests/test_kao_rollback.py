"""Last: the way back to OAR2's metascheduler, then kamelot's way back, give
the servers back byte for byte."""

from kaotest import kao, log_since, log_size, logs_launches, state
from oartest import job_state, queue_table, role_play, run_play, submit_noop, wait_for

testinfra_hosts = ["oar2-deb12", "oar2-deb13"]


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


def test_check_mode_on_a_server_back_on_oar2_changes_nothing(host):
    before = state(host)
    run = kao(host, check=True)
    assert run.rc == 0 and run.changed() > 0, "\n".join(run.failures().values())
    assert state(host) == before


def test_absent_without_a_record_only_undoes_a_kao_setting(host):
    # kao set by hand (no record): going back sets OAR2's own metascheduler.
    host.check_output("cp -p /root/oar.conf.before /root/oar.conf.hand && "
                      "sed -i 's/^#META_SCHED_CMD=.*/&\\nMETA_SCHED_CMD=\"kao\"/' /etc/oar/oar.conf")
    try:
        host.check_output("systemctl restart oar-server")
        run = kao(host, oar3_kao_state="absent")
        assert run.rc == 0, "\n".join(run.failures().values())
        assert host.check_output("grep '^META_SCHED_CMD=' /etc/oar/oar.conf") == 'META_SCHED_CMD="oar_meta_sched"'
        assert host.service("oar-server").is_running
    finally:
        host.check_output("cp -p /root/oar.conf.hand /etc/oar/oar.conf && systemctl restart oar-server")
