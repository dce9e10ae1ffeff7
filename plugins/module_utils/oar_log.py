# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of a scheduling round in OAR's log.

OAR2 logs the launch of each queue's scheduler only at LOG_LEVEL 3 on 2.5.9
(Debian 12) and at 2 on 2.6.1, but it logs its errors at every level
("Scheduler S returned a bad value ... Disabling queue Q", "execution of S
failed"), and OAR3's kamelot writes its tracebacks to the same LOG_FILE,
then exits 1, which OAR2's metascheduler counts as success. So a round is
judged by its jobs (did one leave Waiting?) and by these errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ERROR_RE = re.compile(r"returned a bad value|Disabling queue|Traceback \(most recent call last\)"
                      r"|execution of \S+ failed|Cannot run:")
# OAR3 3.0.1 and 3.0.2 log this IntegrityError when a round places no job;
# later rounds are not affected (known upstream noise), so it is no failure.
NOISE_RE = re.compile(r"gantt_jobs_predictions_pkey")

LEFT_WAITING = ("toLaunch", "Launching", "Running", "Finishing", "Terminated", "Suspended", "Resuming")


def errors(text):
    """The lines of text that show a failed round."""
    lines = text.splitlines()
    noise = any(NOISE_RE.search(line) for line in lines)
    return [line for line in lines if ERROR_RE.search(line) and not (noise and "Traceback" in line)]


def scheduled(states):
    """Job ids (of {id: state}) that a scheduler has placed."""
    return sorted(j for j, s in states.items() if s in LEFT_WAITING)
