# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a scheduling round left in OAR's log.

Almighty logs "Launching command: [/usr/lib/oar/<meta>]" when it starts the
metascheduler and "<...>/<meta> terminated with exit value: N ; ..." when it
ends; in between, OAR2's oar_meta_sched logs per queue "Queue Q: Launching
scheduler S" or "Queue Q: No job" (it only runs a queue's scheduler when jobs
wait), and errors such as "Scheduler S returned a bad value ... Disabling
queue Q". A crashing OAR3 kamelot writes its traceback there too, then exits
1, which oar_meta_sched counts as success.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

LAUNCH_RE = re.compile(r"Launching command: \[(\S+)\]")
END_RE = re.compile(r"(\S+) terminated with exit value: (-?\d+)")
QUEUE_RE = re.compile(r"Queue (\S+): (?:Launching scheduler (\S+)|(No job))")
ERROR_RE = re.compile(r"returned a bad value|Disabling queue|Traceback \(most recent call last\)"
                      r"|execution of \S+ failed|Cannot run:")
# OAR3 3.0.1 and 3.0.2 log this IntegrityError when a round places no job;
# later rounds are not affected (known upstream noise), so it is no failure.
NOISE_RE = re.compile(r"gantt_jobs_predictions_pkey")


def _is(command, metascheduler):
    return os.path.basename(command) == os.path.basename(metascheduler)


def first_round(text, metascheduler):
    """The first complete round of `metascheduler` in text (log lines), or None:
    {"exit": N, "queues": {queue: scheduler launched, or None for "No job"},
    "errors": [lines], "lines": [the round's lines]}."""
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        launch = LAUNCH_RE.search(line)
        if start is None:
            if launch and _is(launch.group(1), metascheduler):
                start = i
            continue
        end = END_RE.search(line)
        if end and _is(end.group(1), metascheduler):
            body = lines[start:i + 1]
            queues = {}
            for body_line in body:
                queue = QUEUE_RE.search(body_line)
                if queue:
                    queues[queue.group(1)] = queue.group(2)
            noise = any(NOISE_RE.search(b) for b in body)
            errors = [b for b in body if ERROR_RE.search(b) and not END_RE.search(b)
                      and not (noise and "Traceback" in b)]
            return {"exit": int(end.group(2)), "queues": queues, "lines": body, "errors": errors}
    return None


def problems(round_, queues, scheduler):
    """What is wrong with a round for queues meant to run `scheduler` (or, with
    scheduler None, for the metascheduler alone): list of messages."""
    found = []
    if round_["exit"] != 0:
        found.append("the metascheduler exited with %d" % round_["exit"])
    for queue in queues:
        ran = round_["queues"].get(queue)
        if scheduler and ran not in (None, scheduler):
            found.append("queue %s ran scheduler %s, not %s" % (queue, ran, scheduler))
    if round_["errors"]:
        found.append("OAR's log shows errors in the round: %s" % " | ".join(e.strip() for e in round_["errors"][:10]))
    return found
