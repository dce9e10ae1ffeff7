"""Every restart of oar-server by the role gives each queue back the state
it had before the run, and a kao that fails its first round is rolled back,
on both servers at once (one play per step)."""

from kaotest import log_since, log_size, logs_launches, state
from oartest import assert_failed_on, other_host, psql, queue_table, role_play, run_play, wait_for

testinfra_hosts = ["oar2-deb12"]  # each test drives both servers
HOSTS = ["oar2-deb12", "oar2-deb13"]
FEEDER = ("nohup bash -c 'for i in $(seq 600); do runuser -u oaruser -- oarsub -t noop "
          "-l resource_id=1,walltime=0:00:30 true; sleep 0.5; done' >/dev/null 2>&1 & echo $! >/root/feeder")
UNFINISHED = ("runuser -u postgres -- psql -XAtq -d oar -c \"SELECT job_id FROM jobs WHERE job_user = 'oaruser' "
              "AND state IN ('Waiting', 'toLaunch', 'Launching', 'Running')\"")
# A fixture standing in for OAR2 disabling a queue whose scheduler died with
# Almighty (measured 3 times in 6 on 2.6.1): as soon as the new Almighty
# starts, besteffort is set notActive behind the role's back.
DISABLER = """n=$(grep -c 'Start Almighty' /var/log/oar.log)
until [ "$(grep -c 'Start Almighty' /var/log/oar.log)" -gt "$n" ]; do sleep 0.1; done
runuser -u postgres -- psql -d oar -c "UPDATE queues SET state = 'notActive' WHERE queue_name = 'besteffort'"
"""


def servers(host):
    return [other_host(host, name) for name in HOSTS]


def queues(hosts):
    return {h.backend.host: queue_table(h) for h in hosts}


def kao_everywhere(host, wanted):
    run = run_play(host, role_play("kao", oar3_kao_state=wanted))
    assert run.rc == 0, "\n".join(run.failures().values())
    return run


def restored_lines(run):
    return [line for line in run.output.splitlines() if "Restarting oar-server changed queue" in line]


def test_restarts_while_jobs_keep_coming_leave_every_queue_as_it_was(host):
    # Rounds keep running (a job every 0.5 s) while the role restarts oar-server there and back.
    all_hosts = servers(host)
    for h in all_hosts:
        psql(h, "UPDATE queues SET state = 'notActive' WHERE queue_name = 'admin'")  # an admin's choice
    before = queues(all_hosts)
    restored = 0
    try:
        for h in all_hosts:
            h.check_output(FEEDER)
        for n, wanted in enumerate(["absent", "present"]):
            run = kao_everywhere(host, wanted)
            restored += len(restored_lines(run))
            assert queues(all_hosts) == before, n
    finally:
        for h in all_hosts:
            h.run("kill $(cat /root/feeder)")
            h.run("oardel $(%s)" % UNFINISHED)
            psql(h, "UPDATE queues SET state = 'Active' WHERE queue_name = 'admin'")
    print("restarts that needed queues given back: %d of 4" % restored)


def test_a_queue_that_oar2_disables_at_the_restart_is_given_back_and_reported(host):
    all_hosts = servers(host)
    before = queues(all_hosts)
    for h in all_hosts:
        h.check_output("printf %s %s >/root/disabler && (nohup bash /root/disabler >/dev/null 2>&1 &)", "%s", DISABLER)
    run = kao_everywhere(host, "absent")
    lines = restored_lines(run)
    assert len(lines) == 2 and all("queue(s) besteffort" in line for line in lines), run.output[-3000:]
    assert queues(all_hosts) == before
    kao_everywhere(host, "present")


def test_a_failing_kao_is_rolled_back(host):
    all_hosts = servers(host)
    kao_everywhere(host, "absent")
    before = {h.backend.host: state(h)[:2] for h in all_hosts}  # the queues, and oar.conf byte for byte
    # Almighty stops on a metascheduler exit value other than 0, 1 or 2.
    for h in all_hosts:
        h.check_output("cp -p /usr/lib/oar/kao /root/kao.real && printf '#!/bin/sh\\nexit 3\\n' >/usr/lib/oar/kao")
    try:
        sizes = {h.backend.host: log_size(h) for h in all_hosts}
        assert_failed_on(run_play(host, role_play("kao")), HOSTS,
                         "oar.conf was put back as it was before the change", "returned an unknown value")
        assert {h.backend.host: state(h)[:2] for h in all_hosts} == before
        for h in all_hosts:
            assert not h.file("/etc/ansible/facts.d/oar3_kao.fact.pending").exists
            assert h.service("oar-server").is_running
            if logs_launches(h):
                wait_for("a round by oar_meta_sched", lambda h=h: "[/usr/lib/oar/oar_meta_sched]"
                         in log_since(h, sizes[h.backend.host]).split("Start Almighty")[-1])
    finally:
        for h in all_hosts:
            h.check_output("cp -p /root/kao.real /usr/lib/oar/kao")
    kao_everywhere(host, "present")
