# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' failure messages say what failed, what was put back, and what is left to look at."""

from __future__ import annotations

from ansible_collections.oar.oar3.plugins.filter.oar_messages import (oar_kamelot_put_back_msg,
                                                                      oar_kao_put_back_msg)


def test_kamelot_put_back():
    failed = {"msg": "kamelot exited 1.", "lines": ["[kamelot] Traceback", "Disabling queue default"]}
    msg = oar_kamelot_put_back_msg(failed, "srv1", [{"name": "default"}, {"name": "besteffort"}])
    assert msg == ("The switch to kamelot failed on srv1 (or its round did not run cleanly), so the queues "
                   "default, besteffort were put back to their previous scheduler, priority and state: "
                   "kamelot exited 1. OAR's log since the switch: [kamelot] Traceback | Disabling queue default")
    assert oar_kamelot_put_back_msg({}, "srv1", []).endswith("queues (none recorded) were put back to their "
                                                             "previous scheduler, priority and state: no reason given.")


def test_kao_put_back_active():
    msg = oar_kao_put_back_msg({"msg": "kao exited 3"}, "srv1", "kao", {"server_state": "active", "restored": []})
    assert msg == ("After the restart for META_SCHED_CMD=kao, oar-server did not schedule cleanly on srv1: kao exited "
                   "3. oar.conf was put back as it was before the change (META_SCHED_CMD and "
                   "METASCHEDULER_OAR3_WITH_OAR2) and oar-server restarted on it.")


def test_kao_put_back_server_down_queues_restored():
    msg = oar_kao_put_back_msg({"lines": ["x"]}, "srv1", "kao", {"server_state": "failed", "restored": ["default"]})
    assert "srv1: oar-server is not active." in msg
    assert msg.endswith("restarted on it, but it is failed: look at it now; queues given back: default. "
                        "OAR's log since the restart: x")
    # No result of the restart at all (it failed too): never reported as active.
    assert ", but it is unknown: look at it now." in oar_kao_put_back_msg({}, "srv1", "kao", None)
