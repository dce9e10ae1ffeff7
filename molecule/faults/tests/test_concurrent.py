"""Two runs at the same time against one server, each setting its own keys
of oar.conf one task after the other: no edit is lost, no partial file."""

import json
import subprocess

from faulttest import conf_key, play
from oartest import assert_no_db_password, bash_reads, perl_reads

testinfra_hosts = ["oar2-deb13"]
KEYS = 12


def edits(run_name, state="present"):
    """A play setting (or removing) FAULT_<run>_<n> one task at a time."""
    tasks = [{"name": "key %d" % n, "oar.oar3.oar_conf":
              {"settings": {"FAULT_%s_%d" % (run_name, n): "value-%s-%d" % (run_name, n)}} if state == "present"
              else {"remove": ["FAULT_%s_%d" % (run_name, n)]}} for n in range(KEYS)]
    return [{"name": "edits of run " + run_name, "hosts": "oar2-deb13", "gather_facts": False, "tasks": tasks}]


def test_two_runs_at_once_lose_no_edit(host, tmp_path):
    before = host.check_output("cat /etc/oar/oar.conf")
    mode = host.check_output("stat -c '%U:%G %a' /etc/oar/oar.conf")
    files = host.check_output("ls -a /etc/oar")
    procs = []
    for run_name in ("A", "B"):
        book = tmp_path / ("%s.json" % run_name)
        book.write_text(json.dumps(edits(run_name)))
        procs.append(subprocess.Popen(["ansible-playbook", "-i", host.backend.ansible_inventory, str(book),
                                       "--diff", "-vvv"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate()[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert_no_db_password(host, out)
        assert p.returncode == 0, out[-3000:]
    lines = host.check_output("cat /etc/oar/oar.conf").splitlines()
    ours = [line for line in lines if (conf_key(line) or "").startswith("FAULT_")]
    assert sorted(ours) == sorted('FAULT_%s_%d="value-%s-%d"' % (r, n, r, n) for r in "AB" for n in range(KEYS))
    assert [line for line in lines if line not in ours] == before.splitlines()  # every other line, in order
    assert host.check_output("stat -c '%U:%G %a' /etc/oar/oar.conf") == mode
    assert bash_reads(host, "FAULT_A_7") == "value-A-7" and perl_reads(host, "FAULT_B_11") == "value-B-11"
    assert host.check_output("ls -a /etc/oar") == files  # no temporary file left
    for run_name in ("A", "B"):
        assert play(host, edits(run_name, "absent")).rc == 0
    assert host.check_output("cat /etc/oar/oar.conf") == before
