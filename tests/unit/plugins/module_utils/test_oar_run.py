# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Runner runs real processes through AnsibleModule.run_command: one
deadline for a whole call, the process group killed at it, a child holding
the output pipe open cannot hang a finished call, Perl's hooks dropped."""

from __future__ import annotations

import os
import sys
import time

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner

ECHO = [sys.executable, "-c", "import json,sys; d=json.load(sys.stdin); d['seen']=True; print(json.dumps(d))"]


@pytest.fixture(scope="module")
def run_command():
    with patch_module_args({}):
        return AnsibleModule(argument_spec={}).run_command


def test_round_trip(run_command):
    assert Runner(run_command, 10).run_json(ECHO, {"a": 1}, "echo") == {"a": 1, "seen": True}


def test_env_is_added_and_perl_hooks_are_dropped(run_command, monkeypatch):
    monkeypatch.setenv("PERL5OPT", "-Mevil")
    monkeypatch.setenv("PERL5LIB", "/tmp/evil")
    argv = [sys.executable, "-c", "import json,os; print(json.dumps([os.environ['OARCONFFILE'], "
            "os.environ.get('PERL5OPT'), os.environ.get('PERL5LIB')]))"]
    assert Runner(run_command, 10).run_json(argv, {}, "env", {"OARCONFFILE": "/etc/oar/oar.conf"}) == [
        "/etc/oar/oar.conf", None, None]


def test_timeout_kills_the_whole_group(run_command, tmp_path):
    # The shell's background child would survive if only the shell died.
    flag = tmp_path / "survived"
    start = time.monotonic()
    with pytest.raises(RunError, match="waiting thing timed out after 1 s") as e:
        Runner(run_command, 1).run_json(["sh", "-c", "(sleep 3; touch %s) & sleep 30" % flag], {}, "waiting thing")
    assert e.value.timed_out
    assert time.monotonic() - start < 5
    time.sleep(3.5)
    assert not flag.exists()


def test_one_deadline_for_every_call(run_command):
    runner = Runner(run_command, 3)
    runner.run(["sleep", "2"], "first")
    start = time.monotonic()
    with pytest.raises(RunError, match="timed out") as e:
        runner.run(["sleep", "5"], "second")  # only about 1 s is left
    assert e.value.timed_out and time.monotonic() - start < 2.5
    with pytest.raises(RunError, match="was not started"):
        runner.run(["true"], "third")


def test_a_child_keeping_the_pipe_open_does_not_hang_a_finished_call(run_command):
    # OAR2's mail notifier forks such a child after the commit.
    start = time.monotonic()
    rc, out, _err = Runner(run_command, 20).run(["sh", "-c", "echo done; (sleep 15 &) ; exit 0"], "fork")
    assert rc == 0 and out.strip() == "done"
    assert time.monotonic() - start < 10


def test_failure_shows_stderr(run_command):
    with pytest.raises(RunError, match=r"thing failed \(exit 3\): boom") as e:
        Runner(run_command, 10).run_json(["sh", "-c", "echo boom >&2; exit 3"], {}, "thing")
    assert not e.value.timed_out and e.value.stderr.strip() == "boom"


def test_not_json(run_command):
    with pytest.raises(RunError, match="printed no JSON: hello"):
        Runner(run_command, 10).run_json(["sh", "-c", "echo hello"], {}, "thing")


def test_clock_is_injected():
    now = [100.0]
    calls = []

    def fake(cmd, **kwargs):
        calls.append(cmd)
        now[0] += 4
        return 0, "{}", ""

    runner = Runner(fake, 5, clock=lambda: now[0])
    runner.run(["x"], "x")
    assert "timeout" in calls[0] and calls[0][calls[0].index("timeout") + 3] == "5.000"
    with pytest.raises(RunError, match="was not started"):
        now[0] += 2
        runner.run(["y"], "y")
    assert os.path.basename(calls[0][0]) == "env"
