# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of OAR2 queue changes (oar_queue's pure logic)."""

from __future__ import annotations

import pytest

from ansible_collections.oar.oar3.plugins.module_utils._queue import (
    QueueError, almighty_address, apply_set, busy_jobs_message, plan, plan_set, queue_from_row, render, request,
    sort_queues, validate, wake_almighty,
)
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError

GANTT = "oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas"
DEFAULT = {"name": "default", "priority": 2, "scheduler": GANTT, "enabled": True}


@pytest.mark.parametrize("name", ["default", "a", "A-b_9", "x" * 100])
def test_valid_names(name):
    validate(name, 1, name)


@pytest.mark.parametrize("name", ["", "x" * 101, "a'b", "a b", "a;drop", "é", "a,3,kamelot", "../x", "a\nb", "ab\n", None, 3])
def test_refused_queue_names(name):
    with pytest.raises(QueueError, match="queue name .* is not allowed"):
        validate(name)


@pytest.mark.parametrize("scheduler", ["", "kamelot'", "/usr/bin/x", "../kamelot", "k m"])
def test_refused_scheduler_names(scheduler):
    with pytest.raises(QueueError, match="scheduler .* is not allowed"):
        validate("default", scheduler=scheduler)


@pytest.mark.parametrize("priority", ["3", 3.0, True, 2 ** 31, -(2 ** 31) - 1])
def test_refused_priorities(priority):
    with pytest.raises(QueueError, match="priority"):
        validate("default", priority=priority)


def test_plan_switch_scheduler_keeps_priority_and_state():
    disabled = dict(DEFAULT, enabled=False)
    assert plan(disabled, "default", scheduler="kamelot") == ("update", dict(disabled, scheduler="kamelot"))


def test_plan_each_difference_is_an_update():
    for field, value in (("priority", 3), ("scheduler", "kamelot"), ("enabled", False)):
        action, wanted = plan(DEFAULT, "default", **{field: value})
        assert action == "update"
        assert wanted == dict(DEFAULT, **{field: value})


def test_plan_no_change():
    assert plan(DEFAULT, "default", priority=2, scheduler=GANTT, enabled=True) == (None, DEFAULT)
    assert plan(DEFAULT, "default") == (None, DEFAULT)


def test_plan_create_needs_priority_and_scheduler():
    with pytest.raises(QueueError, match="creating it needs priority and scheduler"):
        plan(None, "new")
    with pytest.raises(QueueError, match="creating it needs scheduler"):
        plan(None, "new", priority=1)
    assert plan(None, "new", priority=1, scheduler="kamelot") == (
        "create", {"name": "new", "priority": 1, "scheduler": "kamelot", "enabled": True})
    assert plan(None, "new", priority=1, scheduler="kamelot", enabled=False)[1]["enabled"] is False


def test_plan_absent():
    assert plan(DEFAULT, "default", state="absent") == ("delete", None)
    assert plan(None, "default", state="absent") == (None, None)


def test_plan_validates_first():
    with pytest.raises(QueueError):
        plan(DEFAULT, "default", scheduler="x'); DROP TABLE queues; --")


def test_queue_from_row_and_sort():
    rows = [
        {"queue_name": "besteffort", "priority": 0, "scheduler_policy": GANTT, "state": "Active"},
        {"queue_name": "default", "priority": "2", "scheduler_policy": "kamelot", "state": "notActive"},
        {"queue_name": "admin", "priority": 10, "scheduler_policy": GANTT, "state": "Active"},
        {"queue_name": "another", "priority": 2, "scheduler_policy": GANTT, "state": "Active"},
    ]
    queues = sort_queues(queue_from_row(r) for r in rows)
    assert [q["name"] for q in queues] == ["admin", "another", "default", "besteffort"]
    assert queues[2] == {"name": "default", "priority": 2, "scheduler": "kamelot", "enabled": False}


def test_request():
    assert request() == {"force": False, "busy_of": None, "ops": []}
    assert request(busy_of="default") == {"force": False, "busy_of": "default", "ops": []}
    after = dict(DEFAULT, enabled=False)
    assert request([("default", "update", DEFAULT, after)], force=True) == {"force": True, "busy_of": None, "ops": [
        {"name": "default", "action": "update",
         "expect": {"priority": 2, "scheduler": GANTT, "state": "Active"},
         "want": {"priority": 2, "scheduler": GANTT, "state": "notActive"}}]}
    assert request([("new", "create", None, DEFAULT)])["ops"][0]["expect"] is None
    assert request([("default", "delete", DEFAULT, None)])["ops"][0]["want"] is None


ADMIN = {"name": "admin", "priority": 10, "scheduler": GANTT, "enabled": True}


def test_plan_set_only_what_changes_in_the_order_given():
    ops = plan_set([DEFAULT, ADMIN], [{"name": "admin", "scheduler": "kamelot"}, {"name": "default", "priority": 2},
                                      {"name": "default2", "priority": 1, "scheduler": "kamelot"}])
    assert ops == [("admin", "update", ADMIN, dict(ADMIN, scheduler="kamelot")),
                   ("default2", "create", None, {"name": "default2", "priority": 1, "scheduler": "kamelot",
                                                 "enabled": True})]


def test_plan_set_keeps_state_when_not_given():
    disabled = dict(DEFAULT, enabled=False)
    assert plan_set([disabled], [{"name": "default", "scheduler": "kamelot", "enabled": None}]) == [
        ("default", "update", disabled, dict(disabled, scheduler="kamelot"))]


def test_plan_set_refuses_duplicates_and_bad_names():
    with pytest.raises(QueueError, match="listed twice"):
        plan_set([DEFAULT], [{"name": "default"}, {"name": "default"}])
    with pytest.raises(QueueError, match="not allowed"):
        plan_set([DEFAULT], [{"name": "de fault"}])


class FakeDB:
    """The queues table behind PERL_PROGRAM's protocol, with compare-and-set
    (a test double: the real program runs against PostgreSQL in the modules
    scenario)."""

    def __init__(self, queues, meddle=None):
        self.rows = dict((q["name"], dict(q)) for q in queues)
        self.meddle = meddle  # called before a write: a concurrent change
        self.writes = 0

    def run_json(self, argv, req, what, env=None):
        if req["ops"]:
            if self.meddle:
                self.meddle(self.rows)
                self.meddle = None
            for op in req["ops"]:
                row = self.rows.get(op["name"])
                if op["expect"] is not None and (row is None or {"priority": row["priority"],
                                                                 "scheduler": row["scheduler"],
                                                                 "state": "Active" if row["enabled"] else "notActive"}
                                                 != op["expect"]):
                    raise RunError("the change failed (exit 255): OAR3-CONFLICT queue %s" % op["name"],
                                   rc=255, stderr="OAR3-CONFLICT queue %s changed since it was read\n" % op["name"])
            for op in req["ops"]:
                if op["want"] is None:
                    del self.rows[op["name"]]
                else:
                    w = op["want"]
                    self.rows[op["name"]] = {"name": op["name"], "priority": w["priority"], "scheduler": w["scheduler"],
                                             "enabled": w["state"] == "Active"}
            self.writes += 1
        rows = [{"queue_name": q["name"], "priority": q["priority"], "scheduler_policy": q["scheduler"],
                 "state": "Active" if q["enabled"] else "notActive"} for q in self.rows.values()]
        return {"queues": rows, "busy": 0}


def test_apply_set_writes_once_and_returns_before_and_after():
    db = FakeDB([DEFAULT, ADMIN])
    before, after, ops = apply_set(db, [{"name": "default", "scheduler": "kamelot"}])
    assert [op[0] for op in ops] == ["default"] and db.writes == 1
    assert [q["scheduler"] for q in before] == [GANTT, GANTT]
    assert dict((q["name"], q) for q in after)["default"]["scheduler"] == "kamelot"
    assert apply_set(db, [{"name": "default", "scheduler": "kamelot"}])[2] == [] and db.writes == 1


def test_apply_set_check_mode_writes_nothing():
    db = FakeDB([DEFAULT])
    _before, after, ops = apply_set(db, [{"name": "default", "scheduler": "kamelot"}], check_mode=True)
    assert ops and after[0]["scheduler"] == "kamelot" and db.writes == 0 and db.rows["default"] == DEFAULT


def test_a_concurrent_disable_is_never_undone():
    """oarnotify -d between the read and the write: the switch is planned again and keeps the disable."""
    def disable(rows):
        rows["default"]["enabled"] = False
    db = FakeDB([DEFAULT], meddle=disable)
    _before, after, _ops = apply_set(db, [{"name": "default", "scheduler": "kamelot"}])
    assert after[0] == dict(DEFAULT, scheduler="kamelot", enabled=False)


def test_a_queue_that_keeps_changing_is_refused_with_nothing_changed():
    class Restless(FakeDB):
        def run_json(self, argv, req, what, env=None):
            if req["ops"]:
                self.rows["default"]["priority"] += 1
            return FakeDB.run_json(self, argv, req, what, env)
    db = Restless([DEFAULT])
    with pytest.raises(RunError, match="kept changing while being written") as e:
        apply_set(db, [{"name": "default", "scheduler": "kamelot"}])
    assert db.writes == 0 and db.rows["default"]["scheduler"] == GANTT and e.value.before


def test_validate_op_runs_before_any_write():
    db = FakeDB([DEFAULT])

    def refuse(name, action, before, after):
        raise QueueError("no %s" % name)
    with pytest.raises(QueueError, match="no default"):
        apply_set(db, [{"name": "default", "scheduler": "kamelot"}], validate_op=refuse)
    assert db.writes == 0


def test_wake_almighty_reports_failure():
    sent = []

    class Sock:
        def sendall(self, data):
            sent.append(data)

        def close(self):
            pass
    assert wake_almighty("localhost", "6666", 5, connect=lambda addr, timeout: Sock()) is None
    assert sent == [b"Term\n"]

    now = [0.0]

    def refused(addr, timeout):
        raise ConnectionRefusedError("refused")

    def sleep(s):
        now[0] += s
    msg = wake_almighty("localhost", 6666, 5, connect=refused, clock=lambda: now[0], sleep=sleep)
    assert "could not notify Almighty at localhost:6666 within 5s (refused)" == msg
    assert 4.5 <= now[0] <= 5
    assert "invalid literal" in wake_almighty("localhost", "x", 5, connect=refused)


def test_wake_almighty_waits_for_a_restarted_almighty():
    """Errno 99 and refusals while oar-server restarts: tried again, not failed."""
    import errno
    now, tries, sent = [0.0], [], []

    class Sock:
        def sendall(self, data):
            sent.append(data)

        def close(self):
            pass

    def connect(addr, timeout):
        tries.append((addr, timeout))
        if len(tries) == 1:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        if len(tries) == 2:
            raise ConnectionRefusedError("refused")
        return Sock()

    def sleep(s):
        now[0] += s
    assert wake_almighty("localhost", "6666", 5, connect=connect, clock=lambda: now[0], sleep=sleep) is None
    assert sent == [b"Term\n"] and len(tries) == 3 and tries[0][0] == ("localhost", 6666)
    assert now[0] == 0.5 and tries[2][1] == 4.5
    assert almighty_address({}) == ("localhost", "6666")
    assert almighty_address({"SERVER_HOSTNAME": "srv", "SERVER_PORT": "7000"}) == ("srv", "7000")


def test_render():
    assert render(None) == ""
    assert render(DEFAULT) == "name: default\npriority: 2\nscheduler: %s\nenabled: true\n" % GANTT


def test_busy_message_names_queue_and_way_out():
    msg = busy_jobs_message("default", 3)
    assert "queue default still has 3 job(s)" in msg and "force=true" in msg
