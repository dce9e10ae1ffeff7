"""Runs killed at several points (SIGKILL of ansible-playbook and all its
processes, as a lost controller): right after the kill nothing is lost, and
the next run converges, checking the round the killed run did not check."""

import pytest
from faulttest import ROLE_KEYS, assert_nothing_lost, failure, role, run_until, servers, snapshot, wait_until_settled
from oartest import bash_reads, queue_table, role_play

testinfra_hosts = ["oar2-deb13"]  # each test drives both servers at once
QUEUES = [{"name": "default"}, {"name": "besteffort"}]


def task(role_name, name):
    """The banner the default callback prints when a task of the role starts
    (`name` is the task's whole name)."""
    return r"^TASK \[oar\.oar3\.%s : %s\]" % (role_name, name.replace("(", r"\(").replace(")", r"\)"))


def on_oar2(all_servers, facts=()):
    """Where each case starts: no record (and so no change) of the roles but `facts`."""
    for server in all_servers:
        assert server.run("ls /etc/ansible/facts.d").stdout.split() == list(facts), server.backend.host


def settle(all_servers, before, keys):
    for server in all_servers:
        wait_until_settled(server)
        assert_nothing_lost(server, before[server.backend.host], keys)


# (where the run of `present` is killed, seconds after, where the run of `absent` is killed)
KAMELOT_KILLS = [
    (task("kamelot", "Set HIERARCHY_LABELS"), 0.5,
     task("kamelot", "Put the queues back on their recorded schedulers, in one transaction")),
    # During the switch's transaction (committed or not, never half: one transaction for the set).
    (task("kamelot", "Switch the queues to kamelot, in one transaction"), 0.2,
     task("kamelot", "Remove the kamelot link from OAR2's schedulers")),
    (task("kamelot", "Check that a round since the switch ran kamelot cleanly and placed jobs"), 1.0,
     task("kamelot", "Put HIERARCHY_LABELS back (no line when it had none)")),
]


@pytest.mark.parametrize("kill_present, delay, kill_absent", KAMELOT_KILLS, ids=["labels", "switch", "round"])
def test_kamelot_killed_then_run_again(host, kill_present, delay, kill_absent):
    all_servers = servers(host)
    on_oar2(all_servers)
    before = {s.backend.host: snapshot(s) for s in all_servers}
    keys = ROLE_KEYS["kamelot"]

    run_until(host, role_play("kamelot", oar3_kamelot_queues=QUEUES), kill_present, delay)
    settle(all_servers, before, keys)
    again = role(host, "kamelot", oar3_kamelot_queues=QUEUES)
    assert again.rc == 0, failure(again)
    # Whatever the killed run did, the next one proves the switch in a round.
    assert again.ran("Check that a round since the switch ran kamelot") == set(s.backend.host for s in all_servers)
    for server in all_servers:
        name = server.backend.host
        expected = [(q, p, "kamelot" if q in ("default", "besteffort") else s, st)
                    for q, p, s, st in before[name]["queues"]]
        assert queue_table(server) == expected, name
        assert bash_reads(server, "HIERARCHY_LABELS") == "resource_id,network_address,cpu,core"
        assert server.run("ls /etc/ansible/facts.d").stdout.split() == ["oar3_kamelot.fact"], name

    run_until(host, role_play("kamelot", oar3_kamelot_state="absent"), kill_absent, 0.5)
    settle(all_servers, before, keys)
    back = role(host, "kamelot", oar3_kamelot_state="absent")
    assert back.rc == 0, failure(back)
    for server in all_servers:
        name = server.backend.host
        assert snapshot(server) == before[name], name  # oar.conf byte for byte, every queue as it was
        assert not server.file("/usr/lib/oar/schedulers/kamelot").exists, name
        assert server.run("ls /etc/ansible/facts.d").stdout.split() == [], name


@pytest.fixture(scope="module")
def on_kamelot(host):
    """kao's cases start from servers whose default queue kamelot schedules."""
    run = role(host, "kamelot")
    assert run.rc == 0, failure(run)
    yield
    run = role(host, "kamelot", oar3_kamelot_state="absent")
    assert run.rc == 0, failure(run)


RESTART = "Restart oar-server between two rounds"
RESTART_TASK = RESTART + ", give every queue its state back, prove the first round"
KAO_KILLS = [
    # oar.conf edited, Almighty not restarted yet: the next run must restart it.
    (task("kao", "Set the metascheduler to kao, telling it that OAR2 runs the jobs"), 0.5,
     task("kao", "Put back the metascheduler settings (a key that had no line loses it)")),
    # During the restart or the watch of its round (an idle round's check ends
    # about 2.5 s after the banner: a kill 3 s after it could land after the task).
    (task("kao", RESTART_TASK), 1.0, task("kao", RESTART_TASK)),
]


@pytest.mark.parametrize("kill_present, delay, kill_absent", KAO_KILLS, ids=["edit", "round"])
def test_kao_killed_then_run_again(host, on_kamelot, kill_present, delay, kill_absent):
    all_servers = servers(host)
    names = set(s.backend.host for s in all_servers)
    on_oar2(all_servers, ["oar3_kamelot.fact"])
    before = {s.backend.host: snapshot(s) for s in all_servers}
    keys = ROLE_KEYS["kao"]

    run_until(host, role_play("kao"), kill_present, delay)
    settle(all_servers, before, keys)
    again = role(host, "kao")
    assert again.rc == 0, failure(again)
    # oar.conf says kao: Almighty must have been restarted on it and checked.
    assert again.ran(RESTART) == names
    for server in all_servers:
        name = server.backend.host
        assert bash_reads(server, "META_SCHED_CMD") == "kao", name
        assert queue_table(server) == before[name]["queues"], name
        assert not server.file("/etc/ansible/facts.d/oar3_kao.fact.pending").exists, name

    run_until(host, role_play("kao", oar3_kao_state="absent"), kill_absent, delay)
    settle(all_servers, before, keys)
    back = role(host, "kao", oar3_kao_state="absent")
    assert back.rc == 0, failure(back)
    assert back.ran(RESTART) == names
    for server in all_servers:
        name = server.backend.host
        assert snapshot(server) == before[name], name
        assert server.run("ls /etc/ansible/facts.d").stdout.split() == ["oar3_kamelot.fact"], name
    assert role(host, "kao", oar3_kao_state="absent").changed() == 0
