#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_sched_check
short_description: Wake OAR2's Almighty and check that the next scheduling round works
version_added: 0.1.0
description:
  - Sends Almighty what a bare C(oarnotify) sends, then watches until one of O(jobs) (or the O(smoke_job)) has
    been placed by a scheduler (it left C(Waiting), or waits with a planned start on a busy cluster), until
    Almighty's run of O(meta_sched) has ended, or, with nothing to wait for, for O(settle) seconds.
  - Fails, with the lines of OAR's log written since O(offset), when those lines show a failed round
    (C(returned a bad value), C(Disabling queue), C(execution of ... failed), C(Cannot run),
    C(returned an unknown value), a Python traceback, which OAR3's kamelot writes there before it exits 1,
    a value OAR2 counts as success), when a queue of O(queues) is no longer enabled, when no job is placed within
    O(timeout), or when O(meta_sched) ends with a value Almighty does not accept or another metascheduler runs.
  - Judging a round by its jobs and errors works at every C(LOG_LEVEL); OAR2 2.5.9 logs the launch of each
    queue's scheduler and of the metascheduler only at level 3, 2.6.1 at level 2.
  - With O(wait=false), only returns the current end of the log, to pass as O(offset) after a change.
author:
  - oar.oar3 developers (@oar-team)
attributes:
  check_mode:
    support: full
    description: In check mode nothing is sent to Almighty and nothing is waited for.
  diff_mode:
    support: none
    description: Changes nothing.
options:
  log:
    description: OAR's log file (C(LOG_FILE) of C(oar.conf)).
    type: path
    default: /var/log/oar.log
  offset:
    description: Byte offset of the log from which errors count; left out, the current end of the log.
    type: int
  jobs:
    description: Ids of jobs waiting in the queues to check; one of them must be placed.
    type: list
    elements: str
    default: []
  smoke_job:
    description:
      - Submit a tiny C(noop) job as this user and wait for it to be placed, like O(jobs); it is deleted
        (C(oardel)) whatever the outcome, and its id returned.
    type: dict
    suboptions:
      user:
        description: The user that submits it (with C(runuser)).
        type: str
        required: true
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
        shows Almighty's launches, waits for its run to end with a value Almighty accepts (0, or 1 and 2 that ask
        for another round or for Leon) and fails if another metascheduler runs instead.
    type: str
  restarted:
    description:
      - >-
        oar-server was restarted after O(offset), so judge only what the log shows since Almighty's last
        C(Start Almighty) line, and wait for that line. The old Almighty may still launch the old
        metascheduler, or log the end of its round, between the offset and its end.
    type: bool
    default: false
  queues:
    description: Queues that must still be enabled after the round.
    type: list
    elements: str
    default: []
  wait:
    description: Wake Almighty and check the round; V(false) only returns the current end of the log.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for one of O(jobs) to be placed or for O(meta_sched) to end.
    type: int
    default: 60
  settle:
    description:
      - Seconds to watch the log when there is no job to wait for, and before concluding that the log does not
        show Almighty's launches (its C(LOG_LEVEL) hides them).
    type: int
    default: 5
notes:
  - Run it as root (C(become)); OAR's log is not world-readable.
"""

EXAMPLES = r"""
- name: Mark the end of OAR's log before switching the queue
  oar.oar3.oar_sched_check:
    wait: false
  register: mark

- name: Check that the waiting job gets placed, with no error in OAR's log
  oar.oar3.oar_sched_check:
    offset: "{{ mark.offset }}"
    jobs: ["{{ smoke_job_id }}"]
    queues: [default]

- name: After restarting oar-server, check that Almighty runs kao and that a fresh job gets resources
  oar.oar3.oar_sched_check:
    offset: "{{ mark.offset }}"
    meta_sched: kao
    smoke_job:
      user: oaruser
"""

RETURN = r"""
offset:
  description: The end of OAR's log when the check ended.
  returned: success
  type: int
  sample: 123456
scheduled:
  description: The jobs of O(jobs) that a scheduler placed.
  returned: when waited
  type: list
  elements: str
  sample: ["42"]
smoke_job:
  description: The id of the O(smoke_job), deleted since.
  returned: when O(smoke_job) was given and submitted
  type: str
  sample: "43"
meta_sched:
  description: What the log shows of the O(meta_sched) run (for example C(/usr/lib/oar/kao ended with exit value 0)).
  returned: when O(meta_sched) was given and waited
  type: str
verified:
  description:
    - Whether the round was seen at work (a job placed, or the O(meta_sched) run in the log); V(false) when there
      was nothing to see (only errors and queues were checked).
  returned: when waited
  type: bool
lines:
  description: The last lines of OAR's log since O(offset).
  returned: when waited
  type: list
  elements: str
"""

import json
import os
import re
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils.oar_log import errors, meta_sched_run, scheduled, since_last_start
from ansible_collections.oar.oar3.plugins.module_utils.oar_queue import execute, request
from ansible_collections.oar.oar3.plugins.module_utils.oar_run import RunError


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def job_records(module, oarstat, jobs):
    records = {}
    for job in jobs:
        try:
            out = subprocess.run([oarstat, "-J", "-f", "-j", job], capture_output=True, text=True, timeout=30,
                                 check=False)
            records[job] = json.loads(out.stdout)[job]
        except subprocess.TimeoutExpired:
            module.fail_json(msg="oarstat did not answer within 30 s about job %s" % job)
        except (ValueError, KeyError):
            module.fail_json(msg="oarstat knows no job %s: %s" % (job, out.stderr.strip()))
    return records


def submit(module, smoke):
    oarsub = module.get_bin_path("oarsub", required=True, opt_dirs=["/usr/bin"])
    argv = ["runuser", "-u", smoke["user"], "--", oarsub, "-q", smoke["queue"], "-t", "noop",
            "-l", smoke["resources"] + ",walltime=0:05:00", "true"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        module.fail_json(msg="could not submit the smoke job (%s): no answer within 30 s" % " ".join(argv))
    found = re.search(r"OAR_JOB_ID=([0-9]+)", out.stdout)
    if not found:
        said = (out.stdout + out.stderr).strip()
        module.fail_json(msg="could not submit the smoke job (%s): %s" % (" ".join(argv), said))
    return found.group(1)


def watch(module, p, offset, jobs, command):
    """Poll OAR's log and the jobs until the round is seen, failed or timed out."""
    oarstat = module.get_bin_path("oarstat", required=True, opt_dirs=["/usr/bin"])
    start = time.monotonic()
    while True:
        text = read_from(p["log"], offset)
        tail = text.splitlines()[-40:]
        if p["restarted"]:
            text = since_last_start(text)
        found = errors(text or "")
        if found:
            module.fail_json(msg="OAR's log shows a failed scheduling round: %s" % " | ".join(found[:10]),
                             lines=tail)
        placed = scheduled(job_records(module, oarstat, jobs))
        verdict, detail = (None, None) if not command else meta_sched_run(text, command) if text is not None \
            else ("running", "Almighty has not logged its start yet")
        if verdict == "failed":
            module.fail_json(msg="OAR's metascheduler did not run as expected: %s" % detail, lines=tail)
        elapsed = time.monotonic() - start
        # No launch logged yet may only mean not yet: conclude "unlogged" after settle seconds.
        waiting = (jobs and not placed) or verdict == "running" or (verdict == "unlogged" and elapsed < p["settle"]) \
            or (not jobs and not command and elapsed < p["settle"])
        if not waiting or elapsed > p["timeout"]:
            return placed, verdict, detail, tail
        time.sleep(1)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type="path", default="/var/log/oar.log"),
            offset=dict(type="int"),
            jobs=dict(type="list", elements="str", default=[]),
            smoke_job=dict(type="dict", options=dict(
                user=dict(type="str", required=True),
                queue=dict(type="str", default="default"),
                resources=dict(type="str", default="resource_id=1"),
            )),
            meta_sched=dict(type="str"),
            restarted=dict(type="bool", default=False),
            queues=dict(type="list", elements="str", default=[]),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
            settle=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] < 1 or p["settle"] < 0:
        module.fail_json(msg="timeout must be at least 1 second and settle at least 0, not %d and %d."
                         % (p["timeout"], p["settle"]))
    try:
        size = os.path.getsize(p["log"])
    except OSError as e:
        module.fail_json(msg="cannot read OAR's log %s: %s" % (p["log"], e.strerror))
    offset = size if p["offset"] is None or p["offset"] > size else p["offset"]  # larger: rotated
    if not p["wait"] or module.check_mode:
        module.exit_json(changed=False, offset=size)
    command = p["meta_sched"]
    if command and not command.startswith("/"):
        command = "/usr/lib/oar/" + command  # as Almighty resolves it
    oarnotify = module.get_bin_path("oarnotify", required=True, opt_dirs=["/usr/sbin"])
    jobs = list(p["jobs"])
    # Looked up before submitting: the smoke job must never be left behind.
    oardel = module.get_bin_path("oardel", required=True, opt_dirs=["/usr/bin"])
    smoke = submit(module, p["smoke_job"]) if p["smoke_job"] else None
    try:
        if smoke:
            jobs.append(smoke)
        try:
            subprocess.run([oarnotify], capture_output=True, timeout=30, check=True)
        except (subprocess.SubprocessError, OSError) as e:
            module.fail_json(msg="could not wake Almighty with oarnotify: %s" % e)
        placed, verdict, detail, tail = watch(module, p, offset, jobs, command)
    finally:
        if smoke:
            subprocess.run([oardel, smoke], capture_output=True, timeout=30, check=False)
    if jobs and not placed:
        module.fail_json(msg="no job of %s was placed within %d s after waking Almighty (still Waiting, no start "
                             "planned)"
                             % (", ".join(jobs), p["timeout"]), lines=tail)
    if verdict == "running":
        module.fail_json(msg="%s did not end within %d s (%s)" % (command, p["timeout"], detail), lines=tail)
    try:
        queues = dict((q["name"], q) for q in execute(request(), 30, "reading the OAR queues")[0])
    except RunError as e:
        module.fail_json(msg=str(e))
    disabled = [q for q in p["queues"] if not queues.get(q, {}).get("enabled")]
    if disabled:
        module.fail_json(msg="OAR2 disabled queue(s) %s during the round" % ", ".join(disabled), lines=tail)
    result = dict(changed=False, offset=os.path.getsize(p["log"]), scheduled=placed, lines=tail,
                  verified=bool(placed) or verdict == "ran")
    if smoke:
        result["smoke_job"] = smoke
    if command:
        result["meta_sched"] = detail
    module.exit_json(**result)


if __name__ == "__main__":
    main()
