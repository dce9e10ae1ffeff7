#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_sched_check
short_description: Prove that OAR2's scheduling round works after a change, restarting oar-server if asked
version_added: 0.2.0
description:
  - Wakes Almighty as a bare C(oarnotify) does and watches the round from its own evidence, ending as soon as
    the evidence is in. Three outcomes, kept apart in RV(outcome).
  - V(failed) (the module fails) when OAR's log since O(offset) shows a failed round (C(returned a bad value),
    C(Disabling queue), C(execution of ... failed), a Python traceback, which OAR3's kamelot writes there before
    exiting 1, a value OAR2 counts as success), when a queue of O(queues) is not enabled, when O(meta_sched) ends
    with a value Almighty does not accept or another metascheduler runs, or when oar-server is not active after
    O(restart).
  - V(proven) when the scheduler ran and the round placed jobs; the scheduler ran when OAR3's own lines show
    kamelot scheduling one of O(queues) (O(scheduler)=kamelot; OAR2 2.6.1's C(Launching scheduler kamelot) also
    counts), or kao's cycle or Almighty's clean end of O(meta_sched); jobs were placed when one of O(jobs) or the
    O(smoke_job) left C(Waiting) or got a planned start, OAR3 saved an assignment, jobs were started since the
    mark, or waiting jobs got a planned start. With O(jobs) or a smoke job, one of them must be placed.
  - V(unseen) (success, with a warning) when nothing failed but no placement could be seen within O(timeout)
    plus 0.1 s per waiting job (at most 600 s more), or at once when no job is waiting. A change that worked on
    a busy cluster is never reported as failed.
  - With O(restart), first waits (up to 10 s) for a moment without a scheduling round (no metascheduler and no
    scheduler running), restarts C(oar-server), and gives every queue of O(restore_queues) back its scheduler,
    priority and state, after the restart and again after the round (OAR2 disables a queue whose scheduler
    died with the old Almighty).
  - With O(wait=false), only returns the mark (the end of the log and the time), after the restart if asked.
author:
  - oar.oar3 developers (@oar-team)
attributes:
  check_mode:
    support: full
    description: In check mode nothing is restarted, sent or waited for; the mark is returned.
  diff_mode:
    support: none
    description: Changes nothing but the restart.
options:
  log:
    description: OAR's log file (C(LOG_FILE) of C(oar.conf)).
    type: path
    default: /var/log/oar.log
  offset:
    description: Byte offset of the log from which the round's lines count; left out, the current end of the log.
    type: int
  since:
    description: Epoch seconds from which started jobs count; left out, the time the module started.
    type: int
  jobs:
    description: Ids of jobs that must be placed.
    type: list
    elements: str
    default: []
  smoke_job:
    description:
      - Submit a tiny C(noop) job as this user and require it placed, like O(jobs); it is deleted (C(oardel))
        whatever the outcome, and its id returned.
    type: dict
    suboptions:
      enabled:
        description: V(false) submits none (so that a task can pass the same dict whether or not it wants one).
        type: bool
        default: true
      user:
        description: The user that submits it (with C(runuser)); required when O(smoke_job.enabled).
        type: str
      queue:
        description: The queue it goes to.
        type: str
        default: default
      resources:
        description: Its C(oarsub -l) request, without the walltime (5 minutes).
        type: str
        default: resource_id=1
  meta_sched:
    description:
      - The C(META_SCHED_CMD) Almighty must run (a name under C(/usr/lib/oar/) or a full path). When OAR's log
        shows Almighty's launches, waits for its run to end with a value Almighty accepts (0, 1 or 2) and fails if
        another metascheduler runs instead.
    type: str
  scheduler:
    description: The scheduler of O(queues) whose run is looked for (V(kamelot)); left out, none.
    type: str
  restart:
    description: Restart C(oar-server) first, between two rounds, then give O(restore_queues) back.
    type: bool
    default: false
  restarted:
    description:
      - oar-server was restarted after O(offset) (implied by O(restart)), so judge only what the log shows since
        Almighty's last C(Start Almighty) line, and wait for that line.
    type: bool
    default: false
  restore_queues:
    description:
      - Queues (C(name), C(priority), C(scheduler), C(enabled)) as they must read after a restart; each that differs
        is given back, in one transaction, after the restart and after the round. Their names are returned in
        RV(restored).
    type: list
    elements: dict
    default: []
  queues:
    description: Queues that must still be enabled after the round (and whose scheduler is looked for).
    type: list
    elements: str
    default: []
  wait:
    description: Wake Almighty and watch the round; V(false) only restarts (with O(restart)) and returns the mark.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the evidence, plus 0.1 s per waiting job.
    type: int
    default: 60
  settle:
    description:
      - Seconds to watch before concluding that the log does not show Almighty's launches (its C(LOG_LEVEL) hides
        them) or that nothing is waiting. When nothing waits and the round is seen to run and end (no process of it
        left for half a second), the check ends then, without waiting for this.
    type: int
    default: 5
notes:
  - Run it as root (C(become)); OAR's log and C(oar.conf) are not world-readable.
"""

EXAMPLES = r"""
- name: Mark the end of OAR's log before switching the queue
  oar.oar3.oar_sched_check:
    wait: false
  register: mark

- name: Prove the round after the switch to kamelot
  oar.oar3.oar_sched_check:
    offset: "{{ mark.offset }}"
    since: "{{ mark.epoch }}"
    scheduler: kamelot
    queues: [default]

- name: Restart oar-server for kao, give every queue its state back, prove the first round with a fresh job
  oar.oar3.oar_sched_check:
    restart: true
    restore_queues: "{{ queues_before }}"
    meta_sched: kao
    smoke_job:
      user: oaruser
"""

RETURN = r"""
offset:
  description: The end of OAR's log when the module ended (before the restart, with O(wait=false)).
  returned: success
  type: int
  sample: 123456
epoch:
  description: The server's time (epoch seconds) of that mark.
  returned: success
  type: int
outcome:
  description: V(proven) or V(unseen) (V(failed) ends in a failure).
  returned: when waited
  type: str
evidence:
  description: What the round showed (the scheduler's run, the jobs placed or started).
  returned: when waited
  type: list
  elements: str
verified:
  description: Whether the outcome is V(proven).
  returned: when waited
  type: bool
scheduled:
  description: The jobs of O(jobs) (and the smoke job) that were placed.
  returned: when waited
  type: list
  elements: str
smoke_job:
  description: The id of the O(smoke_job), deleted since.
  returned: when O(smoke_job) was given and submitted
  type: str
meta_sched:
  description: What the log shows of the O(meta_sched) run (for example C(/usr/lib/oar/kao ended with exit value 0)).
  returned: when O(meta_sched) was given and waited
  type: str
mark:
  description: Where the proof started (C(offset), C(epoch), C(log)); after O(restart), the restart.
  returned: when restarted or waited
  type: dict
restored:
  description: The queues of O(restore_queues) that had to be given back.
  returned: success
  type: list
  elements: str
server_state:
  description: The C(ActiveState) of oar-server after O(restart).
  returned: with O(restart)
  type: str
waiting:
  description: The jobs waiting in O(queues) (all queues when empty) when the watch began.
  returned: when waited
  type: int
elapsed:
  description: Seconds the watch took.
  returned: when waited
  type: float
lines:
  description: The last lines of OAR's log since O(offset).
  returned: when waited
  type: list
  elements: str
"""

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils._log import oar3_activity, since_last_start
from ansible_collections.oar.oar3.plugins.module_utils._preflight import read_conf
from ansible_collections.oar.oar3.plugins.module_utils._queue import (
    PERL_ENV, QueueError, almighty_address, apply_set, wake_almighty,
)
from ansible_collections.oar.oar3.plugins.module_utils._round import (
    FAILED, UNSEEN, Quiet, db_readings, judge, meta_verdict, round_running, watch,
)
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner

CONF = "/etc/oar/oar.conf"
QUIET_WAIT = 10
# Read-only: the queues, the jobs asked about, and how many jobs of the
# queues (all when none is given) started since the mark, wait, and wait
# with a planned start.
DB_PROGRAM = r"""
use strict;
use warnings;
use JSON;
use OAR::IO;

my $req = decode_json(do { local $/; <STDIN> });
my $dbh = OAR::IO::connect_ro();
$dbh->{RaiseError} = 1;
$dbh->{PrintError} = 0;
my @q = @{$req->{queues}};
my $in = @q ? " AND j.queue_name IN (" . join(",", ("?") x @q) . ")" : "";
my $predicted = "EXISTS (SELECT 1 FROM moldable_job_descriptions m JOIN gantt_jobs_predictions g "
              . "ON g.moldable_job_id = m.moldable_id WHERE m.moldable_job_id = j.job_id)";
my ($started) = $dbh->selectrow_array(
    "SELECT COUNT(DISTINCT l.job_id) FROM job_state_logs l JOIN jobs j ON j.job_id = l.job_id "
  . "WHERE l.date_start >= ? AND l.job_state IN ('toLaunch', 'Launching', 'Running')$in", undef, $req->{since}, @q);
my ($waiting) = $dbh->selectrow_array("SELECT COUNT(*) FROM jobs j WHERE j.state = 'Waiting'$in", undef, @q);
my ($planned) = $dbh->selectrow_array("SELECT COUNT(*) FROM jobs j WHERE j.state = 'Waiting' AND $predicted$in",
                                      undef, @q);
my %jobs;
for my $id (@{$req->{jobs}}) {
    my $r = $dbh->selectrow_hashref("SELECT j.state, $predicted AS planned FROM jobs j WHERE j.job_id = ?",
                                    undef, $id);
    die "OAR knows no job $id\n" unless $r;
    $jobs{$id} = { state => $r->{state}, planned => $r->{planned} ? JSON::true : JSON::false };
}
my $rows = $dbh->selectall_arrayref(
    "SELECT queue_name, priority, scheduler_policy, state FROM queues", { Slice => {} });
OAR::IO::disconnect($dbh);
print encode_json({ queues => $rows, jobs => \%jobs, started => $started, waiting => $waiting,
                    planned => $planned });
"""


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def cmdlines():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    found.append(f.read().decode(errors="replace").split("\0"))
            except OSError:
                pass
    return found


def server_state(runner):
    _rc, out, _err = runner.run(["systemctl", "is-active", "oar-server"], "systemctl is-active oar-server", limit=30)
    return out.strip() or "unknown"


def restore(runner, wanted):
    """Give the queues of wanted back what they were; their names."""
    if not wanted:
        return []
    items = [dict(name=q["name"], priority=q["priority"], scheduler=q["scheduler"], enabled=q["enabled"])
             for q in wanted]
    _before, _after, ops = apply_set(runner, items)
    return [op[0] for op in ops]


def db_program(runner, since, queues, jobs):
    from ansible_collections.oar.oar3.plugins.module_utils._queue import queue_from_row
    result = runner.run_json(["perl", "-e", DB_PROGRAM], dict(since=since, queues=queues, jobs=jobs),
                             "reading OAR's jobs and queues", PERL_ENV)
    result["queues"] = [queue_from_row(r) for r in result["queues"]]
    return db_readings(result)


def submit(runner, module, smoke):
    oarsub = module.get_bin_path("oarsub", required=True, opt_dirs=["/usr/bin"])
    argv = ["runuser", "-u", smoke["user"], "--", oarsub, "-q", smoke["queue"], "-t", "noop",
            "-l", smoke["resources"] + ",walltime=0:05:00", "true"]
    _rc, out, err = runner.run(argv, "submitting the smoke job", limit=30)
    found = re.search(r"OAR_JOB_ID=([0-9]+)", out)
    if not found:
        module.fail_json(msg="could not submit the smoke job (%s): %s" % (" ".join(argv), (out + err).strip()))
    return found.group(1)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type="path", default="/var/log/oar.log"),
            offset=dict(type="int"),
            since=dict(type="int"),
            jobs=dict(type="list", elements="str", default=[]),
            smoke_job=dict(type="dict", options=dict(
                enabled=dict(type="bool", default=True),
                user=dict(type="str"),
                queue=dict(type="str", default="default"),
                resources=dict(type="str", default="resource_id=1"),
            )),
            meta_sched=dict(type="str"),
            scheduler=dict(type="str"),
            restart=dict(type="bool", default=False),
            restarted=dict(type="bool", default=False),
            restore_queues=dict(type="list", elements="dict", default=[]),
            queues=dict(type="list", elements="str", default=[]),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
            settle=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    p = module.params
    wants_smoke = bool(p["smoke_job"] and p["smoke_job"]["enabled"])
    if wants_smoke and not p["smoke_job"]["user"]:
        module.fail_json(msg="smoke_job.user is required when smoke_job.enabled is true (the user that submits it).")
    if p["timeout"] < 1 or p["settle"] < 0:
        module.fail_json(msg="timeout must be at least 1 second and settle at least 0, not %d and %d."
                         % (p["timeout"], p["settle"]))
    try:
        size = os.path.getsize(p["log"])
    except OSError as e:
        module.fail_json(msg="cannot read OAR's log %s: %s" % (p["log"], e.strerror))
    now = int(time.time())
    offset = size if p["offset"] is None or p["offset"] > size else p["offset"]  # larger: rotated
    since = now if p["since"] is None else p["since"]
    result = dict(changed=False, offset=size, epoch=now, restored=[])
    if module.check_mode or not (p["wait"] or p["restart"]):
        module.exit_json(**result)

    # Restarts and restores get their own time; the watch has p["timeout"] plus its bound.
    runner = Runner(module.run_command, p["timeout"] + 60 + 600)
    try:
        if p["restart"]:
            start = time.monotonic()
            while round_running(cmdlines()) and time.monotonic() - start < QUIET_WAIT:
                time.sleep(0.1)
            offset, since = os.path.getsize(p["log"]), int(time.time())
            rc, _out, err = runner.run(["systemctl", "restart", "oar-server"], "restarting oar-server", limit=90)
            result.update(changed=True, offset=offset, epoch=since, mark=dict(offset=offset, epoch=since, log=p["log"]))
            state = server_state(runner)
            result["server_state"] = state
            result["restored"] = restore(runner, p["restore_queues"])
            if rc != 0 or state != "active":
                if p["wait"]:
                    module.fail_json(msg="oar-server is %s after its restart: %s" % (state, err.strip()), **result)
                module.exit_json(**result)
            if not p["wait"]:
                module.exit_json(**result)
        restarted = p["restart"] or p["restarted"]
        command = p["meta_sched"]
        if command and not command.startswith("/"):
            command = "/usr/lib/oar/" + command  # as Almighty resolves it
        jobs = list(p["jobs"])
        oardel = module.get_bin_path("oardel", required=True, opt_dirs=["/usr/bin"])
        smoke = submit(runner, module, p["smoke_job"]) if wants_smoke else None
        try:
            if smoke:
                jobs.append(smoke)
                result["smoke_job"] = smoke
            with open(CONF) as f:
                host, port = almighty_address(read_conf(f.read()))
            failed = wake_almighty(host, port, 5)
            if failed:
                module.fail_json(msg="%s: is oar-server running?" % failed, **result)
            first = db_program(runner, since, p["queues"], jobs)

            quiet = Quiet()

            def look(elapsed):
                # The processes first, then the database: OAR2 logs why it disables a
                # queue before it does (oar_meta_sched's oar_error, then stop_a_queue),
                # so a disabled queue read here has its reason in the log read next.
                round_over = quiet.over(round_running(cmdlines()), elapsed)
                db = db_program(runner, since, p["queues"], jobs)
                log_text = read_from(p["log"], offset)
                text = since_last_start(log_text) if restarted else log_text
                settle_over = elapsed >= p["settle"]
                # A round over without a launch in the log: its LOG_LEVEL hides them.
                meta = meta_verdict(text, command, settle_over or round_over)
                outcome, evidence, msg = judge(text, restarted, command, meta,
                                               p["scheduler"], p["queues"], jobs, db,
                                               oar3_activity(text or ""), settle_over, round_over)
                return outcome, evidence, msg, dict(db=db, text=log_text, meta=meta_verdict(text, command, True))

            seen = watch(look, time.monotonic, time.sleep, p["timeout"], first["waiting"])
        finally:
            if smoke:
                Runner(module.run_command, 30).run([oardel, smoke], "deleting the smoke job")
        result["mark"] = dict(offset=offset, epoch=since, log=p["log"])
        if p["restore_queues"]:
            result["restored"] = sorted(set(result["restored"]) | set(restore(runner, p["restore_queues"])))
        if p["restart"]:
            result["server_state"] = server_state(runner)
    except (RunError, QueueError) as e:
        module.fail_json(msg=str(e), **result)

    ctx = seen["context"]
    result.update(outcome=seen["outcome"], evidence=seen["evidence"], verified=seen["outcome"] == "proven",
                  scheduled=sorted(j for j in jobs if ctx["db"]["jobs"].get(j, {}).get("state") != "Waiting"
                                   or ctx["db"]["jobs"].get(j, {}).get("scheduledStart")),
                  waiting=first["waiting"], elapsed=round(seen["elapsed"], 2),
                  lines=ctx["text"].splitlines()[-40:], offset=os.path.getsize(p["log"]))
    if command:
        result["meta_sched"] = ctx["meta"][1] if ctx["meta"] else "not in OAR's log (its LOG_LEVEL hides launches)"
    if seen["outcome"] == FAILED:
        module.fail_json(msg=seen["msg"], **result)
    if p["restart"] and result["server_state"] != "active":
        module.fail_json(msg="oar-server is %s after the round" % result["server_state"], **result)
    if seen["outcome"] == UNSEEN:
        result["unseen"] = seen["msg"]
        module.warn("The round showed no failure, but %s." % seen["msg"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
