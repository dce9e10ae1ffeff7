# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a scheduling round after a change is proven, from the round's own
evidence; pure, with the clock and every reader injected.

Three outcomes, kept apart everywhere (module results, roles, report):
- failed: the log shows a failed round (a scheduler that returned a bad
  value, a traceback, a disabled queue, a metascheduler ending badly or
  another one running), or a queue that had to stay enabled is not: the
  change is put back by the caller;
- proven: no failure, and the round placed jobs: a job given (or the smoke
  job) left Waiting or got a planned start, jobs of the cluster were started
  since the change, or the metascheduler's own run ended cleanly in the log;
- unseen: no failure, but nothing placed could be seen within the time
  bound (an idle cluster at a LOG_LEVEL that hides launches, or a full one
  whose jobs wait longer): the change stands, and the caller warns.
The time bound grows with the number of waiting jobs: a round of hundreds of
jobs takes longer, and a busy cluster is where a false "FAILED" hurts most.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oar.oar3.plugins.module_utils._log import errors, meta_sched_run, scheduled

FAILED, PROVEN, UNSEEN = "failed", "proven", "unseen"
# Seconds added to the bound per waiting job, and the most the bound may grow.
PER_WAITING_JOB = 0.1
MAX_EXTRA = 600


def bound(timeout, waiting):
    return timeout + min(MAX_EXTRA, PER_WAITING_JOB * max(0, waiting))


def judge(text, restarted, command, meta, scheduler, queues, jobs, db, activity, settle_over, round_over=False):
    """One look at the evidence.

    text: the log since the mark (after a restart: since Almighty's last
    start, None until it logged one); command: the metascheduler's full path
    or None; meta: meta_sched_run's (verdict, detail) or None; scheduler: the
    queues' scheduler to look for (kamelot) or None; queues: the queues that
    must stay enabled; jobs: ids that must be placed (the smoke job); db:
    readings of OAR's database (see oar_sched_check's DB_PROGRAM): queues,
    jobs, started, waiting, planned; activity: oar_log.oar3_activity(text);
    round_over: no process of a round has run for a moment (see Quiet).

    Returns (outcome or None to look again, evidence list, failure message)."""
    evidence = []
    if restarted and text is None:
        return None, evidence, None
    found = errors(text or "")
    if found:
        return FAILED, evidence, "OAR's log shows a failed scheduling round: %s" % " | ".join(found[:10])
    disabled = [q for q in queues if not db["queues"].get(q, {}).get("enabled")]
    if disabled:
        return FAILED, evidence, "OAR2 disabled queue(s) %s during the round" % ", ".join(disabled)
    if meta and meta[0] == "failed":
        return FAILED, evidence, "OAR's metascheduler did not run as expected: %s" % meta[1]

    ran = []
    if scheduler == "kamelot":
        seen = [q for q in activity["kamelot"] if not queues or q in queues]
        if seen:
            ran.append("kamelot scheduled queue(s) %s" % ", ".join(seen))
        elif activity["kao"]:
            # kao schedules every queue with OAR3's kamelot code, whatever its scheduler_policy.
            ran.append("kao's scheduling cycle (OAR3's kamelot) ran")
    if meta and meta[0] == "ran":
        ran.append(meta[1])
    elif command and command.endswith("/kao") and activity["kao"]:
        ran.append("kao's scheduling cycle ran")
    placed_jobs = scheduled(db["jobs"])
    placed = []
    if placed_jobs:
        placed.append("job(s) %s placed" % ", ".join(placed_jobs))
    if activity["planned"]:
        placed.append("OAR3 saved the assignment of waiting jobs")
    if db["started"]:
        placed.append("%d job(s) started since the change" % db["started"])
    if db["planned"] and ran:
        placed.append("%d waiting job(s) have a planned start" % db["planned"])
    evidence = ran + placed
    if meta and meta[0] == "running":
        return None, evidence, None
    if jobs:
        return (PROVEN if placed_jobs else None), evidence, None
    if ran and placed:
        return PROVEN, evidence, None
    if not db["waiting"] and (settle_over or (ran and round_over)):
        # Nothing waits: no round can place anything, so say so now; at once
        # when a round ran and ended, since watching longer shows nothing more.
        return UNSEEN, evidence, "no job is waiting, so no placement could be seen%s" % (
            " (%s)" % "; ".join(evidence) if evidence else "")
    return None, evidence, None


class Quiet(object):
    """Whether a round has ended: no process of one (round_running) for
    `grace` seconds, so that what Almighty logs after its metascheduler exits
    (an exit value it refuses) is in the log read next. Fed one reading per
    look, on the caller's clock."""

    def __init__(self, grace=0.5):
        self.grace, self.since = grace, None

    def over(self, busy, now):
        if busy:
            self.since = None
        elif self.since is None:
            self.since = now
        return self.since is not None and now - self.since >= self.grace


def watch(look, clock, sleep, timeout, waiting, poll=0.3):
    """Poll look() -> (outcome or None, evidence, message, context) until an
    outcome or the bound. Ends at once on a failure or a proof. Returns
    dict(outcome, evidence, msg, elapsed, bound, context of the last look)."""
    start = clock()
    limit = bound(timeout, waiting)
    while True:
        outcome, evidence, msg, context = look(clock() - start)
        elapsed = clock() - start
        if outcome is not None:
            return dict(outcome=outcome, evidence=evidence, msg=msg, elapsed=elapsed, bound=limit, context=context)
        if elapsed >= limit:
            return dict(outcome=UNSEEN, evidence=evidence, elapsed=elapsed, bound=limit, context=context,
                        msg="no failure within %.0f s, but no placement could be seen%s" % (
                            limit, " (%s)" % "; ".join(evidence) if evidence else ""))
        sleep(poll)


def meta_verdict(text, command, settle_over):
    """meta_sched_run's verdict, with "unlogged" read as "not yet" until the
    settle time is over, and as no evidence after."""
    if not command or text is None:
        return None
    meta = meta_sched_run(text, command)
    if meta[0] == "unlogged":
        return None if settle_over else ("running", meta[1])
    return meta


# Processes of a scheduling round: Almighty's metascheduler and the queues'
# schedulers. A restart while one runs may kill it, and OAR2 then disables
# its queue (measured on 2.6.1): restarts wait for a moment without them.
ROUND_PROGRAMS = ("oar_meta_sched", "kao", "kamelot", "kamelot-fifo")
SCHEDULERS_DIR = "/usr/lib/oar/schedulers/"


def round_running(cmdlines):
    """Whether any argv of cmdlines ([list of str]) is part of a round."""
    for argv in cmdlines:
        for arg in argv[:2]:  # the program, or the script an interpreter runs
            if arg.startswith(SCHEDULERS_DIR) or arg.rsplit("/", 1)[-1] in ROUND_PROGRAMS:
                return True
    return False


def db_readings(result):
    """The DB program's output as judge() reads it."""
    return dict(queues=dict((q["name"], q) for q in result["queues"]),
                jobs=dict((j, {"state": v["state"], "scheduledStart": v["planned"]}) for j, v in result["jobs"].items()),
                started=int(result["started"]), waiting=int(result["waiting"]), planned=int(result["planned"]))
