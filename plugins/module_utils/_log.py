# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of a scheduling round in OAR's log.

OAR2 logs the launch of each queue's scheduler only at LOG_LEVEL 3 on 2.5.9
(Debian 12) and at 2 on 2.6.1, but it logs its errors at every level
("Scheduler S returned a bad value ... Disabling queue Q", "execution of S
failed"), and OAR3's kamelot writes its tracebacks to the same LOG_FILE,
then exits 1, which OAR2's metascheduler counts as success. So a round is
judged by its jobs (did one leave Waiting, or get a planned start?) and by these errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ERROR_RE = re.compile(r"returned a bad value|Disabling queue|Traceback \(most recent call last\)"
                      r"|execution of \S+ failed|Cannot run:|returned an unknown value|Something wrong occured")
# OAR3 3.0.1 and 3.0.2 log this IntegrityError when a round places no job;
# later rounds are not affected (known upstream noise), so it is no failure.
NOISE_RE = re.compile(r"gantt_jobs_predictions_pkey")

# Almighty's launches: 2.6.1 logs them at LOG_LEVEL 2, on two lines
#   "Launching command: [CMD]", "CMD terminated with exit value: N ; ...";
# 2.5.9 only at LOG_LEVEL 3, on four ("CMD terminated :", "Exit value : N", ...).
LAUNCH_RE = re.compile(r"Launching command ?: \[(.+?)\]")
END_RE = re.compile(r"(/[^\s|\]]+) terminated(?: with exit value: (\d+)| :)")
EXIT_RE = re.compile(r"\] Exit value : (\d+)")
# What Almighty accepts from META_SCHED_CMD: 0 done, 1 schedule again, 2 run Leon.
META_SCHED_EXITS = (0, 1, 2)

LEFT_WAITING = ("toLaunch", "Launching", "Running", "Finishing", "Terminated", "Suspended", "Resuming")


def errors(text):
    """The lines of text that show a failed round."""
    lines = text.splitlines()
    noise = any(NOISE_RE.search(line) for line in lines)
    return [line for line in lines if ERROR_RE.search(line) and not (noise and "Traceback" in line)]


def scheduled(jobs):
    """Ids of the jobs ({id: oarstat's record}) that a scheduler has placed:
    they left Waiting, or wait with a start planned (a busy cluster)."""
    return sorted(j for j, info in jobs.items()
                  if info.get("state") in LEFT_WAITING
                  or info.get("state") == "Waiting" and info.get("scheduledStart"))


def launches(text):
    """Almighty's launches in text: [command, exit value or None while it runs]."""
    found, ending = [], None
    for line in text.splitlines():
        m = LAUNCH_RE.search(line)
        if m:
            found.append([m.group(1), None])
            continue
        m = END_RE.search(line)
        if m:
            ending = next((l for l in reversed(found) if l[0] == m.group(1) and l[1] is None), None)
            if ending and m.group(2) is not None:
                ending[1], ending = int(m.group(2)), None
            continue
        m = EXIT_RE.search(line)
        if m and ending:
            ending[1], ending = int(m.group(1)), None
    return found


METASCHEDULERS = ("oar_meta_sched", "kao")
START_RE = re.compile(r"^.*Start Almighty.*$", re.M)


def since_last_start(text):
    """What Almighty logged since it last started, or None when text shows no
    start. After a restart, the old Almighty may still launch the old
    metascheduler between the caller's mark and its end: that is no failure."""
    starts = list(START_RE.finditer(text))
    return text[starts[-1].end():] if starts else None


def meta_sched_run(text, command):
    """How the metascheduler command (a full path) fared in text, Almighty's log.

    Returns (verdict, detail): "ran" (ended with a value Almighty accepts),
    "failed" (ended with another value, or Almighty launched another
    metascheduler: it still runs an older META_SCHED_CMD), "running", or
    "unlogged" (the log shows no launch at all: its level hides them).
    """
    launched = launches(text)
    if not launched:
        return "unlogged", "OAR's log shows no launch by Almighty (LOG_LEVEL too low to show them)"
    other = [c for c, _value in launched if c != command and c.rsplit("/", 1)[-1] in METASCHEDULERS]
    if other:
        return "failed", "Almighty launched %s, not %s" % (other[-1], command)
    ended = [v for c, v in launched if c == command and v is not None]
    if any(v not in META_SCHED_EXITS for v in ended):
        return "failed", "%s ended with exit value %s" % (command, [v for v in ended if v not in META_SCHED_EXITS][0])
    if ended:
        return "ran", "%s ended with exit value %d" % (command, ended[0])
    return "running", "waiting for %s to end" % command


# OAR3's own lines (LOG_FORMAT "[%(levelname)8s] [%(asctime)s]
# [%(name)s::%(funcName)s:%(lineno)d]: %(message)s"), written at LOG_LEVEL 2
# on both OAR2 releases: schedule_cycle when OAR2's metascheduler runs
# kamelot for a queue, internal_schedule_cycle when kao schedules.
OAR3_CYCLE_RE = re.compile(r"\[oar\.kamelot::(schedule_cycle|internal_schedule_cycle):\d+\]: (.*)$")
OAR3_BEGIN_RE = re.compile(r"Begin scheduling\.+now: \d+, queue\(s\): (.*)$")
# OAR2 2.6.1's metascheduler at LOG_LEVEL 2.
OAR2_QUEUE_LAUNCH_RE = re.compile(r"Queue (\S+): Launching scheduler (\S+)")


def oar3_activity(text):
    """What OAR3's schedulers logged in text: dict(kamelot: queues kamelot
    scheduled under OAR2's metascheduler (from its own lines, or OAR2
    2.6.1's launches), kao: whether kao's internal cycle ran, planned:
    whether a cycle saved an assignment of waiting jobs)."""
    kamelot, kao, planned = set(), False, False
    for line in text.splitlines():
        m = OAR2_QUEUE_LAUNCH_RE.search(line)
        if m and m.group(2) == "kamelot":
            kamelot.add(m.group(1))
            continue
        m = OAR3_CYCLE_RE.search(line)
        if not m:
            continue
        func, message = m.groups()
        if func == "internal_schedule_cycle":
            kao = True
        begin = OAR3_BEGIN_RE.search(message)
        if begin and func == "schedule_cycle":
            kamelot.update(begin.group(1).split())
        if message.startswith("save assign"):
            planned = True
    return dict(kamelot=sorted(kamelot), kao=kao, planned=planned)
