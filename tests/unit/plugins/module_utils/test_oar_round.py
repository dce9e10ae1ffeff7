# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a round is proven: failed, proven or unseen, from the round's own evidence (clock and readers injected)."""

from __future__ import annotations

import pytest

from ansible_collections.oar.oar3.plugins.module_utils._log import oar3_activity
from ansible_collections.oar.oar3.plugins.module_utils._round import (
    FAILED, PROVEN, UNSEEN, Quiet, bound, db_readings, judge, meta_verdict, round_running, watch,
)

KAO = "/usr/lib/oar/kao"
BEGIN = ("[    INFO] [2026-12-03 12:00:00,000] [oar.kamelot::schedule_cycle:122]: Begin scheduling....now: 17, "
         "queue(s): default\n")
SAVED = "[    INFO] [2026-12-03 12:00:00,000] [oar.kamelot::schedule_cycle:209]: save assignement\n"
NONE_WAITING = "[    INFO] [2026-12-03 12:00:00,000] [oar.kamelot::schedule_cycle:213]: no waiting jobs\n"
INTERNAL = "[    INFO] [2026-12-03 12:00:00,000] [oar.kamelot::internal_schedule_cycle:135]: nb_waiting_jobs:3\n"
LAUNCH_261 = "I|2026-11-24T09:24:50.386|MetaSched/10468||Queue default: Launching scheduler kamelot at time 17\n"
KAO_RAN = ("I|2026-11-24T09:24:50|Almighty/1||Launching command: [/usr/lib/oar/kao]\n"
           "I|2026-11-24T09:24:51|Almighty/1||/usr/lib/oar/kao terminated with exit value: 0 ; \n")
ENABLED = {"default": {"name": "default", "enabled": True}}


def db(**kw):
    base = dict(queues=ENABLED, jobs={}, started=0, waiting=3, planned=0)
    base.update(kw)
    return base


def judged(text, scheduler="kamelot", command=None, jobs=(), settle_over=True, restarted=False, round_over=False,
           **kw):
    meta = meta_verdict(text, command, settle_over or round_over)
    return judge(text, restarted, command, meta, scheduler, ["default"], list(jobs), db(**kw),
                 oar3_activity(text or ""), settle_over, round_over)


def test_activity_of_both_log_formats():
    assert oar3_activity(BEGIN + SAVED) == dict(kamelot=["default"], kao=False, planned=True)
    assert oar3_activity(LAUNCH_261) == dict(kamelot=["default"], kao=False, planned=False)
    assert oar3_activity(INTERNAL) == dict(kamelot=[], kao=True, planned=False)
    assert oar3_activity("[info] [2026] [Almighty] nothing\n") == dict(kamelot=[], kao=False, planned=False)


def test_kamelot_ran_and_saved_an_assignment_is_proven():
    outcome, evidence, msg = judged(BEGIN + SAVED)
    assert outcome == PROVEN and msg is None
    assert evidence == ["kamelot scheduled queue(s) default", "OAR3 saved the assignment of waiting jobs"]


def test_started_jobs_or_planned_starts_count_once_kamelot_ran():
    assert judged(BEGIN, started=2)[0] == PROVEN
    assert judged(LAUNCH_261, planned=5)[0] == PROVEN
    # Without kamelot seen, started jobs may be the old scheduler's round: look again.
    assert judged("", started=2)[0] is None


def test_the_smoke_job_must_be_placed_when_given():
    waiting = {"7": {"state": "Waiting", "scheduledStart": None}}
    assert judge(BEGIN + SAVED, False, None, None, "kamelot", ["default"], ["7"], db(jobs=waiting),
                 oar3_activity(BEGIN + SAVED), True)[0] is None
    placed = {"7": {"state": "Waiting", "scheduledStart": 1700000000}}
    outcome, evidence, _msg = judge("", False, None, None, "kamelot", ["default"], ["7"], db(jobs=placed),
                                    oar3_activity(""), True)
    assert outcome == PROVEN and evidence == ["job(s) 7 placed"]


@pytest.mark.parametrize("text, message", [
    ("[error] Scheduler kamelot returned a bad value: 2 ... Disabling queue default\n", "failed scheduling round"),
    ("[kamelot] Traceback (most recent call last):\n", "Traceback"),
])
def test_failures(text, message):
    outcome, _evidence, msg = judged(BEGIN + SAVED + text)
    assert outcome == FAILED and message in msg


def test_a_disabled_queue_fails():
    outcome, _e, msg = judged(BEGIN + SAVED, queues={"default": {"enabled": False}})
    assert outcome == FAILED and "disabled queue(s) default" in msg


def test_kao_ran_cleanly_or_badly():
    assert judged(KAO_RAN + INTERNAL, scheduler=None, command=KAO, started=1, restarted=True)[0] == PROVEN
    bad = KAO_RAN.replace("exit value: 0", "exit value: 9")
    assert judged(bad, scheduler=None, command=KAO, restarted=True)[0] == FAILED
    # Not started yet after the restart: look again.
    assert judged(None, scheduler=None, command=KAO, restarted=True)[0] is None


def test_kamelot_queues_under_kao_count_as_scheduled_by_kamelot():
    outcome, evidence, _msg = judged(INTERNAL, started=1)
    assert outcome == PROVEN and evidence[0] == "kao's scheduling cycle (OAR3's kamelot) ran"


def test_nothing_waiting_ends_unseen_at_once_after_settle():
    assert judged(BEGIN + NONE_WAITING, waiting=0, settle_over=False)[0] is None
    outcome, _e, msg = judged(BEGIN + NONE_WAITING, waiting=0)
    assert outcome == UNSEEN and "no job is waiting" in msg


def test_nothing_waiting_ends_unseen_as_soon_as_a_round_that_ran_is_over():
    idle_kao = "[    INFO] [2026-12-03 12:00:00,000] [oar.kamelot::internal_schedule_cycle:112]: no waiting jobs\n"
    assert judged(idle_kao, scheduler=None, command=KAO, restarted=True, waiting=0, settle_over=False,
                  round_over=True)[0] == UNSEEN
    assert judged(BEGIN + NONE_WAITING, waiting=0, settle_over=False, round_over=True)[0] == UNSEEN
    # Still running, or nothing seen to run yet: look again.
    assert judged(BEGIN + NONE_WAITING, waiting=0, settle_over=False, round_over=False)[0] is None
    assert judged("", waiting=0, settle_over=False, round_over=True)[0] is None
    # Jobs wait: an ended round that placed none is no reason to stop looking.
    assert judged(BEGIN + NONE_WAITING, waiting=2, settle_over=False, round_over=True)[0] is None
    # A failure in the log still wins.
    bad = BEGIN + NONE_WAITING + "[error] Scheduler kamelot returned a bad value: 2 ... Disabling queue default\n"
    assert judged(bad, waiting=0, settle_over=False, round_over=True)[0] == FAILED
    # The metascheduler still running (its launch logged, not its end): look again.
    running = KAO_RAN.splitlines(True)[0] + idle_kao
    assert judged(running, scheduler=None, command=KAO, restarted=True, waiting=0, settle_over=False,
                  round_over=True)[0] is None


def test_a_round_is_over_once_no_process_of_it_ran_for_the_grace_time():
    quiet = Quiet(grace=0.5)
    readings = [(False, 0.0), (False, 0.3), (False, 0.5), (True, 0.8), (False, 1.0), (False, 1.4), (False, 1.6)]
    assert [quiet.over(busy, now) for busy, now in readings] == [False, False, True, False, False, False, True]


def test_watch_ends_as_soon_as_the_evidence_is_in_and_scales_with_waiting_jobs():
    now, looks = [0.0], []

    def look(elapsed):
        looks.append(elapsed)
        return (PROVEN if len(looks) == 3 else None), ["x"], None, {}
    result = watch(look, lambda: now[0], lambda s: now.__setitem__(0, now[0] + s), 60, 0, poll=0.25)
    assert result["outcome"] == PROVEN and len(looks) == 3 and result["elapsed"] == pytest.approx(0.5)

    now[0] = 0.0
    result = watch(lambda e: (None, ["kamelot ran"], None, {}), lambda: now[0],
                   lambda s: now.__setitem__(0, now[0] + s), 10, 500, poll=1)
    assert result["outcome"] == UNSEEN and result["bound"] == 60 and result["elapsed"] >= 60
    assert "kamelot ran" in result["msg"] and "FAILED" not in result["msg"]
    assert bound(10, 100000) == 610


def test_round_running_and_db_readings():
    assert round_running([["/usr/bin/perl", "/usr/lib/oar/oar_meta_sched"]])
    assert round_running([["/usr/bin/python3", "/usr/lib/oar/kao"]])
    assert round_running([["/usr/lib/oar/schedulers/oar_sched_gantt_with_timesharing", "default"]])
    assert not round_running([["/usr/bin/perl", "/usr/lib/oar/Almighty"], ["bash"], [""]])
    readings = db_readings({"queues": [{"name": "default", "enabled": True}],
                            "jobs": {"3": {"state": "Waiting", "planned": True}},
                            "started": "2", "waiting": 1, "planned": 0})
    assert readings["jobs"]["3"] == {"state": "Waiting", "scheduledStart": True} and readings["started"] == 2
