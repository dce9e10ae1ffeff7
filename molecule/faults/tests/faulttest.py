"""Helpers of the faults scenario: every run is made with --diff -vvv and its
output checked for the servers' DB passwords; runs can be killed when their
output reaches a given task; the servers' state is snapshotted to compare."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time

from oartest import assert_no_db_password, other_host, queue_table, role_play, run_play, wait_for

HOSTS = ["oar2-deb12", "oar2-deb13"]
ROLE_KEYS = {"kamelot": {"HIERARCHY_LABELS"}, "kao": {"META_SCHED_CMD", "METASCHEDULER_OAR3_WITH_OAR2"}}


def servers(host):
    return [other_host(host, name) for name in HOSTS]


def play(host, plays, limit=None, check=False, extra_vars=None):
    """run_play with --diff -vvv (which checks its output for DB passwords)."""
    return run_play(host, plays, extra_vars=extra_vars, limit=limit, check=check, diff=True, verbosity=3)


def role(host, name, limit=None, check=False, **role_vars):
    return play(host, role_play(name, **role_vars), limit=limit, check=check)


def failure(run):
    return "\n".join(run.failures().values())


def run_until(host, plays, trigger, delay=0.0, timeout=300):
    """Run the plays (--diff -vvv) on every server and kill ansible-playbook
    and all its processes with SIGKILL `delay` seconds after a line of its
    output matches the regular expression `trigger`, as a lost controller
    would. Returns the output; fails when the run ended before the trigger."""
    with tempfile.TemporaryDirectory() as tmp:
        book = os.path.join(tmp, "play.yml")
        with open(book, "w") as f:
            json.dump(plays, f)
        cmd = ["ansible-playbook", "-i", host.backend.ansible_inventory, book, "--diff", "-vvv"]
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_FORCE_COLOR="0")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                start_new_session=True)
        lines, deadline, killed = [], time.monotonic() + timeout, False
        for line in proc.stdout:
            lines.append(line)
            if re.search(trigger, line):
                time.sleep(delay)
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
            if time.monotonic() > deadline:
                break
        proc.kill()
        proc.wait()
        rest = proc.stdout.read()
    output = "".join(lines) + rest
    assert_no_db_password(host, output)
    assert killed, "the run ended before %r: %s" % (trigger, output[-3000:])
    return output


# The modules of Ansible running on a server, but the one running this.
OTHER_MODULES = """a=" $$ "; p=$$
while [ "$p" -gt 1 ]; do p=$(awk '/^PPid:/ {print $2}' /proc/$p/status); a="$a$p "; done
for q in $(pgrep -f AnsiballZ); do case "$a" in *" $q "*) ;; *) cat /proc/$q/cmdline; echo;; esac; done"""


def wait_until_settled(server):
    """After a kill, what the controller had started on the server goes on
    there (docker exec): wait until no module of Ansible runs and oar-server
    is active again."""
    wait_for("Ansible's modules to end on %s" % server.backend.host,
             lambda: server.run("bash -c %s", OTHER_MODULES).stdout.strip() == "", timeout=120)
    wait_for("oar-server to be active on %s" % server.backend.host,
             lambda: server.run("systemctl is-active oar-server").stdout.strip() == "active", timeout=60)


def snapshot(server):
    """What a server must give back: oar.conf and the queues table."""
    return {"conf": server.check_output("cat /etc/oar/oar.conf"), "queues": queue_table(server)}


def conf_key(line):
    match = re.match(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", line)
    return match and match.group(1)


def assert_nothing_lost(server, before, keys):
    """oar.conf differs from `before` only in the lines of `keys`, and still
    reads in bash and in OAR2's Perl; every queue is still there, on its old
    scheduler or on kamelot."""
    name = server.backend.host
    old, new = before["conf"].splitlines(), server.check_output("cat /etc/oar/oar.conf").splitlines()
    moved = [line for line in old if line not in new] + [line for line in new if line not in old]
    assert all(conf_key(line) in keys for line in moved), (name, moved)
    server.check_output("bash -c '. /etc/oar/oar.conf'")
    assert server.check_output("perl -MOAR::Conf=init_conf,get_conf -e 'init_conf(\"/etc/oar/oar.conf\"); "
                               "print get_conf(\"DB_BASE_NAME\")'") == "oar"
    queues = {q[0]: q for q in queue_table(server)}
    assert sorted(queues) == sorted(q[0] for q in before["queues"]), (name, queues)
    for q in before["queues"]:
        assert queues[q[0]][2] in (q[2], "kamelot"), (name, queues[q[0]])
