# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The before-image: the record only gains what it lacks, the pending state of the first change is kept."""

from __future__ import annotations

import pytest

from ansible_collections.oar.oar3.plugins.module_utils._record import RecordError, dump, load, merge_missing, plan

Q = {"name": "default", "priority": 2, "scheduler": "gantt", "enabled": True}


def test_merge_adds_only_what_is_missing():
    record = {"queues": [Q], "hierarchy_labels": None}
    new = {"queues": [dict(Q, scheduler="kamelot"), {"name": "gpu", "priority": 4}], "hierarchy_labels": "a,b",
           "other": 1}
    merged = merge_missing(record, new)
    assert merged == {"queues": [Q, {"name": "gpu", "priority": 4}], "hierarchy_labels": None, "other": 1}
    assert record == {"queues": [Q], "hierarchy_labels": None}  # not modified in place


def test_a_complete_record_is_left_as_it_is():
    record = {"queues": [Q], "hierarchy_labels": "x"}
    assert plan(record, None, merge={"queues": [dict(Q, priority=3)], "hierarchy_labels": "y"})["record"] == record


def test_pending_of_an_unfinished_run_is_kept_and_said():
    first = {"queues": [Q]}
    after = plan({}, first, merge={"queues": [Q]}, new_pending={"queues": [dict(Q, scheduler="kamelot")]},
                 set_pending=True)
    assert after["pending"] == first and after["resumed"] is True


def test_pending_set_cleared_and_absent():
    assert plan({}, None, new_pending={"a": 1}, set_pending=True) == dict(record={}, pending={"a": 1}, resumed=False)
    assert plan({}, None, new_pending={"a": 1}, set_pending=False)["pending"] is None
    assert plan({}, {"a": 1}, clear_pending=True)["pending"] is None
    assert plan({"x": 1}, {"a": 1}, state="absent") == dict(record=None, pending=None, resumed=True)
    with pytest.raises(RecordError, match="set_pending needs pending"):
        plan({}, None, set_pending=True)


def test_files_round_trip_and_damage_is_named():
    assert load(dump({"b": 1, "a": None}), "f") == {"a": None, "b": 1}
    assert dump(None) is None and load(None, "f") is None
    # kamelot 0.1.0's pending state was the list of queues.
    assert load('[{"name": "default"}]', "f") == {"queues": [{"name": "default"}]}
    with pytest.raises(RecordError, match="/etc/x.fact is not valid JSON"):
        load("{", "/etc/x.fact")
    with pytest.raises(RecordError, match="does not hold a JSON object"):
        load("3", "f")
