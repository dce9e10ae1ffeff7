"""A part the switch relies on breaks: an UPDATE of the queues table fails
half way through the switch, PostgreSQL is down, python3-oar cannot import.
Each time the servers end exactly as they were, and the play says why."""

from faulttest import failure, role, servers, snapshot
from oartest import psql, server_state

testinfra_hosts = ["oar2-deb13"]  # each test drives both servers at once
QUEUES = [{"name": "default"}, {"name": "besteffort"}]
# A fixture standing in for a database that fails an UPDATE: the switch of
# besteffort to kamelot raises, after default was switched.
FAULT = """CREATE FUNCTION oar3_fault() RETURNS trigger AS $$ BEGIN
  IF NEW.queue_name = 'besteffort' AND NEW.scheduler_policy = 'kamelot' THEN RAISE EXCEPTION 'injected fault'; END IF;
  RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER oar3_fault BEFORE UPDATE ON queues FOR EACH ROW EXECUTE FUNCTION oar3_fault();"""


def test_a_queue_update_failing_half_way_puts_every_queue_back(host):
    all_servers = servers(host)
    before = {s.backend.host: snapshot(s) for s in all_servers}
    for server in all_servers:
        psql(server, FAULT)
    try:
        run = role(host, "kamelot", oar3_kamelot_queues=QUEUES)
    finally:
        for server in all_servers:
            psql(server, "DROP TRIGGER oar3_fault ON queues; DROP FUNCTION oar3_fault()")
    assert run.rc != 0
    for server in all_servers:
        name = server.backend.host
        message = run.failures()[name]
        assert "injected fault" in message, message
        assert "the queues default, besteffort were put back to their previous scheduler, priority and state" \
            in message, message
        # default had been switched: it is back, with its priority, scheduler and state.
        assert snapshot(server)["queues"] == before[name]["queues"], name
        assert not server.file("/etc/ansible/facts.d/oar3_kamelot.fact.pending").exists, name
    back = role(host, "kamelot", oar3_kamelot_state="absent")
    assert back.rc == 0, failure(back)
    for server in all_servers:
        assert snapshot(server) == before[server.backend.host]


def test_postgresql_down_at_the_start_changes_nothing(host):
    all_servers = servers(host)
    before = {s.backend.host: server_state(s) for s in all_servers}
    for server in all_servers:
        server.check_output("systemctl stop postgresql")
    try:
        runs = [role(host, "kamelot"), role(host, "kao")]
    finally:
        for server in all_servers:
            server.check_output("systemctl start postgresql")
    for run in runs:
        assert run.rc != 0
        for server in all_servers:
            message = run.failures()[server.backend.host]
            # At once: OAR2's own connect() would retry until the timeout.
            assert "cannot connect to OAR's database" in message and "Nothing was changed" in message, message
    for server in all_servers:
        assert server_state(server) == before[server.backend.host]


def test_python3_oar_that_cannot_import_is_refused(host):
    # python3-oar stays installed, but one of its dependencies is gone.
    all_servers = servers(host)
    for server in all_servers:
        server.check_output("dpkg --remove --force-depends python3-procset")
    try:
        before = {s.backend.host: server_state(s) for s in all_servers}
        for name in ("kamelot", "kao"):
            run = role(host, name)
            assert run.rc != 0
            for server in all_servers:
                message = run.failures()[server.backend.host]
                assert "OAR3's %s is not usable" % name in message, message
                assert "No module named 'procset'" in message and "Nothing was changed" in message, message
        for server in all_servers:
            assert server_state(server) == before[server.backend.host]
    finally:
        for server in all_servers:
            server.check_output("dpkg --install /var/cache/oar3-debs/python3-procset_*.deb")
