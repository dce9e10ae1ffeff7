"""Last: playbooks/rollback.yml puts every server back on OAR2 byte for byte,
then a rolling migration stops after the batch of a refused server."""

from oartest import job_state, other_host, queue_table, run_playbook, submit_noop, wait_for

SERVERS = ["oar2-deb12", "oar2-deb13", "oar2-deb13-kamelot"]
testinfra_hosts = [SERVERS[0]]  # each test drives all three servers


def servers(host):
    return [other_host(host, name) for name in SERVERS]


def test_rollback_gives_back_oar2_byte_for_byte(host):
    run = run_playbook(host, "oar.oar3.rollback")
    assert run.rc == 0, run.failures()
    for server in servers(host):
        name = server.backend.host
        assert server.check_output("cmp /root/oar.conf.before /etc/oar/oar.conf && echo same") == "same", name
        assert "\n".join("|".join(r) for r in queue_table(server)) == \
            server.file("/root/queues.before").content_string.strip(), name
        assert not server.file("/usr/lib/oar/schedulers/kamelot").exists, name
        assert server.run("ls /etc/ansible/facts.d/").stdout.split() == [], name
        job = submit_noop(server, "resource_id=1")
        wait_for("job %s on %s to be scheduled by OAR2" % (job, name),
                 lambda: job_state(server, job) in ("Running", "Terminated"))
        server.run("oardel %s", job)
    again = run_playbook(host, "oar.oar3.rollback")
    assert again.rc == 0 and again.changed() == 0, again.failures()


def test_a_rolling_migration_stops_after_a_batch_with_a_failed_server(host):
    # Batches of two: oar2-deb12 is refused (oar-server stopped), oar2-deb13 of the same batch
    # completes its own migration, and the next batch (oar2-deb13-kamelot) never starts.
    # (A batch that fails as a whole stops Ansible itself.)
    first, second, third = servers(host)
    tables = [queue_table(first), queue_table(third)]
    first.check_output("systemctl stop oar-server")
    try:
        run = run_playbook(host, "oar.oar3.migrate", {"oar3_serial": 2})
    finally:
        first.check_output("systemctl start oar-server")
    assert run.rc != 0
    failures = run.failures()
    assert list(failures) == [SERVERS[0]]
    assert "on oar2-deb12: start it first" in failures[SERVERS[0]]
    assert "oar2-deb12 failed in an earlier batch: oar2-deb13-kamelot and the servers after them are left" \
        in run.output
    assert run.ran("Install python3-procset and python3-oar") == {SERVERS[0], SERVERS[1]}
    assert [queue_table(first), queue_table(third)] == tables
    assert not first.file("/usr/lib/oar/schedulers/kamelot").exists
    assert not third.file("/usr/lib/oar/schedulers/kamelot").exists
    assert second.file("/usr/lib/oar/schedulers/kamelot").exists
