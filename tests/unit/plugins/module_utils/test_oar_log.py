# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.oar.oar3.plugins.module_utils._log import (errors, launches, meta_sched_run, scheduled,
                                                                    since_last_start)

BAD_VALUE_261 = ("E|2026-11-24T12:00:00.000|MetaSched/7||Error: Scheduler kamelot returned a bad value: 2, at time 1."
                 " Disabling queue default (see `oarnotify')")
BAD_VALUE_259 = ("[error] [2026-11-24 12:00:00.000] [MetaSched] Error: Scheduler kamelot returned a bad value: 2, at "
                 "time 1. Disabling queue default (see `oarnotify')")


@pytest.mark.parametrize("line", [BAD_VALUE_261, BAD_VALUE_259, "[kamelot] Traceback (most recent call last):",
                                  "[error] [2026] [MetaSched] Error: execution of kamelot failed (pid=1 signal=9)"])
def test_failed_rounds(line):
    assert errors("I|x|Almighty/1||Start\n%s\nI|x|MetaSched/1||End\n" % line) == [line]


def test_clean_rounds_and_known_noise():
    assert errors("I|x|MetaSched/7||Queue default: Launching scheduler kamelot at time 1\n") == []
    noise = ("[kamelot] Traceback (most recent call last):\nsqlalchemy.exc.IntegrityError: duplicate key value "
             "violates unique constraint \"gantt_jobs_predictions_pkey\"\n")
    assert errors(noise) == []
    assert errors(noise + BAD_VALUE_261) == [BAD_VALUE_261]


def test_scheduled():
    jobs = {"1": {"state": "Waiting"}, "2": {"state": "Running"}, "3": {"state": "toLaunch"}, "4": {"state": "Hold"},
            "5": {"state": "Error"}, "6": {"state": "Waiting", "scheduledStart": 1795575246},
            "7": {"state": "Hold", "scheduledStart": 1795575246}}
    assert scheduled(jobs) == ["2", "3", "6"]


ROUND_261 = """I|2026-11-25T01:00:00.1|Almighty/10||Launching command: [/usr/lib/oar/NodeChangeState]
I|2026-11-25T01:00:00.2|Almighty/10||/usr/lib/oar/NodeChangeState terminated with exit value: 0 ; signal num: 0 ; core dumped: 0
I|2026-11-25T01:00:00.3|Almighty/10||Launching command: [/usr/lib/oar/kao]
I|2026-11-25T01:00:01.0|Almighty/10||/usr/lib/oar/kao terminated with exit value: %s ; signal num: 0 ; core dumped: 0
"""
ROUND_259 = """[debug] [2026-11-25 01:00:00.3] [Almighty] Launching command : [/usr/lib/oar/kao]
[debug] [2026-11-25 01:00:00.9] [Almighty] Got command Term, 0 remaining
[debug] [2026-11-25 01:00:01.0] [Almighty] /usr/lib/oar/kao terminated :
[debug] [2026-11-25 01:00:01.0] [Almighty] Exit value : %s
[debug] [2026-11-25 01:00:01.0] [Almighty] Signal num : 0
"""


@pytest.mark.parametrize("text", [ROUND_261, ROUND_259], ids=["2.6.1", "2.5.9"])
def test_launches_in_both_formats(text):
    assert launches(text % 0)[-1] == ["/usr/lib/oar/kao", 0]
    assert launches(text.split("\n", 3 if text is ROUND_261 else 1)[0] + "\n")[-1][1] is None  # still running
    assert meta_sched_run(text % 0, "/usr/lib/oar/kao") == ("ran", "/usr/lib/oar/kao ended with exit value 0")
    assert meta_sched_run(text % 2, "/usr/lib/oar/kao")[0] == "ran"  # 2: Almighty runs Leon next
    failed = ("failed", "/usr/lib/oar/kao ended with exit value 127")
    assert meta_sched_run(text % 127, "/usr/lib/oar/kao") == failed


def test_meta_sched_run_other_cases():
    assert meta_sched_run("", "/usr/lib/oar/kao")[0] == "unlogged"
    assert meta_sched_run("I|x|Almighty/1||Start Almighty\n", "/usr/lib/oar/kao")[0] == "unlogged"
    running = "I|x|Almighty/10||Launching command: [/usr/lib/oar/kao]\n"
    assert meta_sched_run(running, "/usr/lib/oar/kao") == ("running", "waiting for /usr/lib/oar/kao to end")
    old = (ROUND_261 % 0).replace("/kao", "/oar_meta_sched")
    failed = ("failed", "Almighty launched /usr/lib/oar/oar_meta_sched, not /usr/lib/oar/kao")
    assert meta_sched_run(old, "/usr/lib/oar/kao") == failed


def test_since_last_start_leaves_out_the_old_almighty():
    old = (ROUND_261 % 0).replace("/kao", "/oar_meta_sched")
    new = ROUND_261 % 0
    text = old + "I|x|Almighty/11||Start Almighty\n" + new
    assert meta_sched_run(text, "/usr/lib/oar/kao")[0] == "failed"  # the old one's launch, taken for the new one's
    assert meta_sched_run(since_last_start(text), "/usr/lib/oar/kao") == ("ran", "/usr/lib/oar/kao ended with exit value 0")
    two = "[info] [x] [Almighty] Start Almighty\n" + old + "[info] [y] [Almighty] Start Almighty\n"
    assert since_last_start(two) == "\n"
    assert since_last_start(old) is None


@pytest.mark.parametrize("line", ["[error] [x] [Almighty] Scheduler returned an unknown value : 127",
                                  "E|x|Almighty/1||Something wrong occured (signal or core dumped) when trying to call "
                                  "[/usr/lib/oar/kao] command"])
def test_almighty_errors(line):
    assert errors(line + "\n") == [line]
