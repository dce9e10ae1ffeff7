"""After playbooks/migrate.yml (with check mode first, and a second run that
changed nothing): each server has what its own variables selected."""

from oartest import bash_reads, job_state, queue_table, wait_for

# What each server's variables select (molecule.yml): the queues switched to
# kamelot (with their new priority, None: kept), and whether kao runs.
KAMELOT_QUEUES = {"oar2-deb12": {"default": "3"}, "oar2-deb13": {"default": "3"},
                  "oar2-deb13-kamelot": {"default": "3", "admin": None}}
KAO = {"oar2-deb12": True, "oar2-deb13": True, "oar2-deb13-kamelot": False}


def before(host):
    return {r[0]: r for r in (line.split("|") for line in host.file("/root/queues.before").content_string.split())}


def test_check_mode_on_the_fresh_servers_changed_nothing(host):
    # molecule's check step ran migrate.yml in check mode between these two snapshots
    # (oar.conf, schedulers, records, .deb cache, packages, queues, jobs' columns, Almighty's PID).
    fresh = host.file("/root/snapshot.fresh").content_string
    assert "python3-apt" not in fresh and "last_karma" not in fresh  # it was a fresh server
    assert host.file("/root/snapshot.after-check").content_string == fresh


def test_the_selected_queues_use_kamelot_and_the_others_are_as_before(host):
    was, switched = before(host), KAMELOT_QUEUES[host.backend.host]
    for name, priority, scheduler, state in queue_table(host):
        if name in switched:
            assert scheduler == "kamelot", name
            assert priority == (switched[name] or was[name][1]), name
            assert state == was[name][3], name
        else:
            assert [name, priority, scheduler, state] == was[name]
    assert host.file("/usr/lib/oar/schedulers/kamelot").linked_to == "/usr/lib/oar/kamelot"


def test_only_the_servers_that_selected_kao_run_it(host):
    fresh_pid = host.file("/root/snapshot.fresh").content_string.split("Almighty ")[-1].strip()
    pid = host.check_output("pgrep -o -f /usr/lib/oar/Almighty")
    if KAO[host.backend.host]:
        assert bash_reads(host, "META_SCHED_CMD") == "kao"
        assert bash_reads(host, "METASCHEDULER_OAR3_WITH_OAR2") == "yes"
        assert pid != fresh_pid  # restarted once, for kao
        assert host.file("/etc/ansible/facts.d/oar3_kao.fact").exists
    else:
        assert bash_reads(host, "META_SCHED_CMD") == ""
        assert pid == fresh_pid  # never restarted
        assert not host.file("/etc/ansible/facts.d/oar3_kao.fact").exists


def test_a_job_from_before_the_migration_is_scheduled(host):
    job = host.file("/root/queues.before.job").content_string.strip()
    assert job_state(host, job) == "Hold"
    host.check_output("oarresume %s", job)
    wait_for("job %s to be scheduled" % job, lambda: job_state(host, job) in ("Running", "Terminated"))
    host.run("oardel %s", job)
