# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_json runs real processes: a hang is killed at the deadline."""

from __future__ import annotations

import sys
import time

import pytest

from ansible_collections.oar.oar3.plugins.module_utils.oar_run import RunError, run_json

ECHO = [sys.executable, "-c", "import json,sys; d=json.load(sys.stdin); d['seen']=True; print(json.dumps(d))"]


def test_round_trip():
    assert run_json(ECHO, {"a": 1}, 10, "echo") == {"a": 1, "seen": True}


def test_env_is_added():
    argv = [sys.executable, "-c", "import json,os; print(json.dumps(os.environ['OARCONFFILE']))"]
    assert run_json(argv, {}, 10, "env", {"OARCONFFILE": "/etc/oar/oar.conf"}) == "/etc/oar/oar.conf"


def test_timeout_kills_the_whole_group():
    # The child of the shell would keep the pipe open if only the shell died.
    start = time.monotonic()
    with pytest.raises(RunError, match="waiting thing timed out after 1 s") as e:
        run_json(["sh", "-c", "sleep 30 & sleep 30"], {}, 1, "waiting thing")
    assert e.value.timed_out
    assert time.monotonic() - start < 5


def test_failure_shows_stderr():
    with pytest.raises(RunError, match=r"thing failed \(exit 3\): boom") as e:
        run_json(["sh", "-c", "echo boom >&2; exit 3"], {}, 10, "thing")
    assert not e.value.timed_out


def test_not_json():
    with pytest.raises(RunError, match="printed no JSON: hello"):
        run_json(["sh", "-c", "echo hello"], {}, 10, "thing")
