# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of OAR2 queue changes (oar_queue's pure logic)."""

from __future__ import annotations

import pytest

from ansible_collections.oar.oar3.plugins.module_utils.oar_queue import (
    QueueError, busy_jobs_message, plan, queue_from_row, render, request, sort_queues, validate,
)

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
    assert request() == {"action": None, "notify": False, "queue": {"name": None}}
    assert request("default", "delete") == {"action": "delete", "notify": True, "queue": {"name": "default"}}
    assert request("default", "update", dict(DEFAULT, enabled=False))["queue"] == {
        "name": "default", "priority": 2, "scheduler": GANTT, "state": "notActive"}


def test_render():
    assert render(None) == ""
    assert render(DEFAULT) == "name: default\npriority: 2\nscheduler: %s\nenabled: true\n" % GANTT


def test_busy_message_names_queue_and_way_out():
    msg = busy_jobs_message("default", 3)
    assert "queue default still has 3 job(s)" in msg and "force=true" in msg
