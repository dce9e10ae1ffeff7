"""Check mode of migrate.yml on the migrated servers changes nothing and
reports nothing to change (before the verifier's other tests run jobs)."""

from oartest import other_host, run_playbook, server_state

SERVERS = ["oar2-deb12", "oar2-deb13", "oar2-deb13-kamelot"]
testinfra_hosts = [SERVERS[0]]  # drives all three servers


def test_check_mode_on_the_migrated_servers_changes_nothing(host):
    servers = [other_host(host, name) for name in SERVERS]
    before = [server_state(s) for s in servers]
    run = run_playbook(host, "oar.oar3.migrate", check=True, diff=True)
    assert run.rc == 0 and run.changed() == 0, (run.failures(), run.changed_tasks())
    assert [server_state(s) for s in servers] == before
