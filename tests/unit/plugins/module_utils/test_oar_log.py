# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.oar.oar3.plugins.module_utils.oar_log import errors, scheduled

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
    assert scheduled({"1": "Waiting", "2": "Running", "3": "toLaunch", "4": "Hold", "5": "Error"}) == ["2", "3"]
