"""Last: a scheduler that fails its first round, on both servers at once (one
play, as users run it): each server's queue is put back and the play says why."""

from oartest import assert_failed_on, other_host, queue_table, role_play, run_play

testinfra_hosts = ["oar2-deb12"]  # the test drives both servers
HOSTS = ["oar2-deb12", "oar2-deb13"]


def kamelot_everywhere(host, **role_vars):
    return run_play(host, role_play("kamelot", **role_vars))


def test_a_failing_scheduler_is_caught_and_the_queue_restored(host):
    all_hosts = [other_host(host, name) for name in HOSTS]
    back = kamelot_everywhere(host, oar3_kamelot_state="absent")
    assert back.rc == 0, back.failures()
    before = {h.backend.host: queue_table(h) for h in all_hosts}
    # A scheduler that exits 2 makes OAR2's metascheduler disable the queue.
    for h in all_hosts:
        h.check_output("cp -p /usr/lib/oar/kamelot /root/kamelot.real && printf '#!/bin/sh\\nexit 2\\n' "
                       ">/usr/lib/oar/kamelot")
    try:
        assert_failed_on(kamelot_everywhere(host), HOSTS,
                         "were put back to their previous scheduler, priority and state", "returned a bad value: 2")
        # Each queue's scheduler, priority and Active state back.
        assert {h.backend.host: queue_table(h) for h in all_hosts} == before
    finally:
        for h in all_hosts:
            h.check_output("cp -p /root/kamelot.real /usr/lib/oar/kamelot")
        back = kamelot_everywhere(host, oar3_kamelot_state="absent")
        assert back.rc == 0, back.failures()
