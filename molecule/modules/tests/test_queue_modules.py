"""oar_queue and oar_queue_info against real OAR2 servers and PostgreSQL."""

import time

import pytest
from oartest import ModuleFailed, job_state, psql, queue_table, run_module, submit_noop, wait_for

GANTT = "oar_sched_gantt_with_timesharing"
QUOTAS = "oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas"


def test_converged_queues(host):
    assert queue_table(host) == [
        ("admin", "10", QUOTAS, "Active"),
        ("besteffort", "0", QUOTAS, "Active"),
        ("default", "3", GANTT, "Active"),
        ("maintenance", "5", GANTT, "notActive"),  # disabled by the admin, switched, still disabled
    ]


def test_info_lists_the_table_sorted(host):
    queues = run_module(host, "oar_queue_info")["queues"]
    assert [q["name"] for q in queues] == ["admin", "maintenance", "default", "besteffort"]
    table = {r[0]: r for r in queue_table(host)}
    for q in queues:
        assert (q["name"], str(q["priority"]), q["scheduler"], "Active" if q["enabled"] else "notActive") == table[q["name"]]


def test_check_mode_changes_nothing(host):
    before = queue_table(host)
    result = run_module(host, "oar_queue", check=True, name="default", scheduler=QUOTAS, priority=7, enabled=False)
    assert result["changed"] is True
    assert result["queue"] == {"name": "default", "priority": 7, "scheduler": QUOTAS, "enabled": False}
    result = run_module(host, "oar_queue", check=True, name="newq", priority=1, scheduler=GANTT)
    assert result["changed"] is True and result["previous"] is None
    assert queue_table(host) == before


@pytest.mark.parametrize("args, message", [
    ({"name": "a'b", "scheduler": GANTT}, "queue name \"a'b\" is not allowed"),
    ({"name": "x');DELETE FROM queues;--", "priority": 1, "scheduler": GANTT}, "is not allowed"),
    ({"name": "default", "scheduler": "kamelot'"}, "scheduler \"kamelot'\" is not allowed"),
    ({"name": "default", "scheduler": "nosuchscheduler"}, "scheduler nosuchscheduler is not an executable file"),
    ({"name": "nosuchqueue", "scheduler": GANTT}, "queue nosuchqueue does not exist: creating it needs priority"),
    ({"name": "default", "priority": "high"}, "priority"),
    ({"name": "default", "timeout": 0}, "timeout must be at least 1 second"),
])
def test_bad_input_is_refused_and_changes_nothing(host, args, message):
    before = queue_table(host)
    statements = psql(host, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables WHERE relname = 'queues'")
    with pytest.raises(ModuleFailed) as e:
        run_module(host, "oar_queue", **args)
    assert message in e.value.result["msg"]
    assert queue_table(host) == before
    time.sleep(0.6)  # pg_stat counters are flushed at most every 500 ms
    assert psql(host, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables WHERE relname = 'queues'") == statements


def test_waiting_job_survives_switch_and_runs_under_new_scheduler(host):
    holder = submit_noop(host, "nodes=2")  # holds every node
    wait_for("holder job to run", lambda: job_state(host, holder) == "Running")
    job = submit_noop(host, "nodes=1")
    time.sleep(3)
    assert job_state(host, job) == "Waiting"
    try:
        result = run_module(host, "oar_queue", name="default", scheduler=QUOTAS)
        assert result["changed"] and result["queue"]["scheduler"] == QUOTAS
        assert job_state(host, job) == "Waiting"
        assert psql(host, "SELECT queue_name FROM jobs WHERE job_id = %s" % job) == "default"
        host.check_output("oardel %s", holder)
        wait_for("job %s to be scheduled" % job,
                 lambda: job_state(host, job) in ("toLaunch", "Launching", "Running", "Terminated"))
    finally:
        host.run("oardel %s %s", holder, job)
        run_module(host, "oar_queue", name="default", scheduler=GANTT)


def test_busy_queue_is_not_removed(host):
    holder = submit_noop(host, "nodes=2")
    try:
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue", name="default", state="absent")
        assert "queue default still has 1 job(s)" in e.value.result["msg"]
        assert ("default", "3", GANTT, "Active") in queue_table(host)
    finally:
        host.run("oardel %s", holder)


def test_a_job_that_the_first_count_missed_still_stops_the_remove(host):
    """A job that arrives between the module's count and its transaction is
    counted again inside the transaction. Emulated with row-level security:
    the read-only login (the first count) sees no job, the read-write login
    (the transaction) sees them all."""
    rw, ro = host.check_output("bash -c '. /etc/oar/oar.conf; echo $DB_BASE_LOGIN $DB_BASE_LOGIN_RO'").split()
    assert rw != ro
    holder = submit_noop(host, "nodes=2")
    psql(host, "ALTER TABLE jobs ENABLE ROW LEVEL SECURITY; ALTER TABLE jobs FORCE ROW LEVEL SECURITY; "
               "CREATE POLICY oar3_test_rw ON jobs TO %s USING (true) WITH CHECK (true)" % rw)
    try:
        # The injection works: the read-only login does not see the job.
        assert holder not in host.run("oarstat -J -j %s", holder).stdout
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue", name="default", state="absent")
        assert "queue default still has 1 job(s)" in e.value.result["msg"]
        assert ("default", "3", GANTT, "Active") in queue_table(host)
    finally:
        psql(host, "DROP POLICY oar3_test_rw ON jobs; ALTER TABLE jobs NO FORCE ROW LEVEL SECURITY; "
                   "ALTER TABLE jobs DISABLE ROW LEVEL SECURITY")
        host.run("oardel %s", holder)


def test_create_and_remove(host):
    created = run_module(host, "oar_queue", name="scratch", priority=1, scheduler=GANTT)
    assert created["changed"] and ("scratch", "1", GANTT, "Active") in queue_table(host)
    removed = run_module(host, "oar_queue", name="scratch", state="absent")
    assert removed["changed"] and removed["queue"] is None
    assert "scratch" not in [r[0] for r in queue_table(host)]
    assert run_module(host, "oar_queue", name="scratch", state="absent")["changed"] is False


def test_failed_write_is_rolled_back(host):
    """A write that fails inside the database (an injected trigger) leaves the queue as it was."""
    before = queue_table(host)
    psql(host, "CREATE FUNCTION oar3_test_fail() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; "
               "CREATE TRIGGER oar3_test_fail BEFORE UPDATE ON queues FOR EACH ROW EXECUTE FUNCTION oar3_test_fail()")
    try:
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue", name="default", scheduler=QUOTAS, enabled=False)
        msg = e.value.result["msg"]
        assert "injected failure" in msg and "rolled back: queue default is as it was" in msg
    finally:
        psql(host, "DROP TRIGGER oar3_test_fail ON queues; DROP FUNCTION oar3_test_fail()")
    assert queue_table(host) == before


# Accepts PostgreSQL's port and never answers: a database that hangs.
HUNG_DB = ("python3 -c 'import socket, time; s = socket.socket(); "
           "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
           "s.bind((\"127.0.0.1\", 5432)); s.listen(8); time.sleep(120)'")
PORT_OPEN = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 5432), 1)'"


def test_database_down_is_refused_at_once_and_a_hung_one_within_the_timeout(host):
    before = queue_table(host)
    host.check_output("systemctl stop postgresql")
    try:
        # OAR2's own connect() retries a refused connection with ever longer
        # sleeps; the modules try once and say why.
        start = time.monotonic()
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue", name="default", scheduler=QUOTAS, timeout=60)
        assert time.monotonic() - start < 15
        assert "cannot connect to OAR's database" in e.value.result["msg"], e.value.result["msg"]
        assert "Nothing was changed" in e.value.result["msg"], e.value.result["msg"]
        host.check_output("systemd-run --unit oar3-test-hung-db %s" % HUNG_DB)
        wait_for("the hung database's port", lambda: host.run(PORT_OPEN).rc == 0)
        start = time.monotonic()
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue", name="default", scheduler=QUOTAS, timeout=5)
        assert time.monotonic() - start < 5 + 10
        assert "timed out after 5 s" in e.value.result["msg"]
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_queue_info", timeout=3)
        assert "timed out after 3 s" in e.value.result["msg"]
    finally:
        host.run("systemctl stop oar3-test-hung-db")
        host.check_output("systemctl start postgresql")
    wait_for("PostgreSQL", lambda: host.run("runuser -u postgres -- pg_isready -q").rc == 0)
    assert queue_table(host) == before
