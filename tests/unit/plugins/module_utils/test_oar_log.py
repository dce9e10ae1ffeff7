# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oar.oar3.plugins.module_utils.oar_log import first_round, problems


def line(module, text):
    # OAR2's default LOG_FORMAT: level|time|module/session|job|message
    return "I|2026-11-24T12:00:00.000|%s/7||%s" % (module, text)


META = "/usr/lib/oar/oar_meta_sched"
LAUNCH = line("Almighty", "Launching command: [%s]" % META)
END = line("Almighty", "%s terminated with exit value: 0 ; signal num: 0 ; core dumped: 0" % META)
KAMELOT_RUN = line("MetaSched", "Queue default: Launching scheduler kamelot at time 2026-11-24 12:00:00")
NO_JOB = line("MetaSched", "Queue besteffort: No job")


def log(*lines):
    return "\n".join(lines) + "\n"


def test_no_round_until_it_ends():
    assert first_round("", "oar_meta_sched") is None
    assert first_round(log(LAUNCH, KAMELOT_RUN), "oar_meta_sched") is None
    assert first_round(log(KAMELOT_RUN, END), "oar_meta_sched") is None  # began before the offset


def test_a_clean_round():
    found = first_round(log(line("Almighty", "Launching command: [/usr/lib/oar/Leon]"), LAUNCH, KAMELOT_RUN,
                            NO_JOB, END, LAUNCH), "oar_meta_sched")
    assert found["exit"] == 0 and found["errors"] == []
    assert found["queues"] == {"default": "kamelot", "besteffort": None}
    assert found["lines"][0] == LAUNCH and found["lines"][-1] == END
    assert problems(found, ["default", "besteffort"], "kamelot") == []


def test_a_crashing_kamelot_is_caught_though_oar2_counts_exit_1_as_success():
    found = first_round(log(LAUNCH, KAMELOT_RUN, "[kamelot] Traceback (most recent call last):",
                            "psycopg2.errors.UndefinedColumn: column jobs.last_karma does not exist", END),
                        "oar_meta_sched")
    assert problems(found, ["default"], "kamelot") == [
        "OAR's log shows errors in the round: [kamelot] Traceback (most recent call last):"]


def test_a_disabled_queue_and_a_bad_exit():
    bad = line("MetaSched", "Error: Scheduler kamelot returned a bad value: 2, at time 1. Disabling queue default "
                            "(see `oarnotify')")
    found = first_round(log(LAUNCH, KAMELOT_RUN, bad, END.replace("value: 0", "value: 1")), META)
    assert found["exit"] == 1
    msgs = problems(found, ["default"], "kamelot")
    assert msgs[0] == "the metascheduler exited with 1"
    assert "Disabling queue default" in msgs[1]


def test_another_scheduler_ran():
    found = first_round(log(LAUNCH, KAMELOT_RUN.replace("kamelot", "oar_sched_gantt_with_timesharing"), END),
                        "oar_meta_sched")
    assert problems(found, ["default"], "kamelot") == [
        "queue default ran scheduler oar_sched_gantt_with_timesharing, not kamelot"]


def test_kao_round():
    kao = "/usr/lib/oar/kao"
    found = first_round(log(LAUNCH, END, line("Almighty", "Launching command: [%s]" % kao),
                            line("Almighty", "%s terminated with exit value: 0 ; signal num: 0" % kao)), "kao")
    assert found["exit"] == 0 and found["queues"] == {} and len(found["lines"]) == 2


def test_known_upstream_noise_is_not_a_failure():
    found = first_round(log(LAUNCH, KAMELOT_RUN, "[kamelot] Traceback (most recent call last):",
                            "sqlalchemy.exc.IntegrityError: duplicate key value violates unique constraint "
                            "\"gantt_jobs_predictions_pkey\"", END), "oar_meta_sched")
    assert problems(found, ["default"], "kamelot") == []
