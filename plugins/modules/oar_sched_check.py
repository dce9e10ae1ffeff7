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
  - Sends Almighty what a bare C(oarnotify) sends, then watches until one of O(jobs) has been placed by a
    scheduler (it left C(Waiting)), or, without O(jobs), for O(settle) seconds.
  - Fails, with the lines of OAR's log written since O(offset), when those lines show a failed round
    (C(returned a bad value), C(Disabling queue), C(execution of ... failed), C(Cannot run), a Python
    traceback: OAR3's kamelot writes its traceback there and exits 1, which OAR2 counts as success), when a
    queue of O(queues) is no longer enabled, or when no job of O(jobs) is placed within O(timeout).
  - Judging a round by its jobs and errors works at every C(LOG_LEVEL); OAR2 2.5.9 logs the launch of each
    queue's scheduler only at level 3.
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
    description: Seconds to wait for one of O(jobs) to be placed.
    type: int
    default: 60
  settle:
    description: Seconds to watch the log when O(jobs) is empty.
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
verified:
  description: Whether a job was placed; V(false) when O(jobs) was empty (only the log and queues were checked).
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
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils.oar_log import errors, scheduled
from ansible_collections.oar.oar3.plugins.module_utils.oar_queue import execute, request
from ansible_collections.oar.oar3.plugins.module_utils.oar_run import RunError


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def job_states(module, oarstat, jobs):
    states = {}
    for job in jobs:
        out = subprocess.run([oarstat, "-J", "-f", "-j", job], capture_output=True, text=True, timeout=30)
        try:
            states[job] = json.loads(out.stdout)[job]["state"]
        except (ValueError, KeyError):
            module.fail_json(msg="oarstat knows no job %s: %s" % (job, out.stderr.strip()))
    return states


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type="path", default="/var/log/oar.log"),
            offset=dict(type="int"),
            jobs=dict(type="list", elements="str", default=[]),
            queues=dict(type="list", elements="str", default=[]),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
            settle=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        size = os.path.getsize(p["log"])
    except OSError as e:
        module.fail_json(msg="cannot read OAR's log %s: %s" % (p["log"], e.strerror))
    offset = size if p["offset"] is None or p["offset"] > size else p["offset"]  # larger: rotated
    if not p["wait"] or module.check_mode:
        module.exit_json(changed=False, offset=size)
    oarnotify = module.get_bin_path("oarnotify", required=True, opt_dirs=["/usr/sbin"])
    oarstat = module.get_bin_path("oarstat", required=True, opt_dirs=["/usr/bin"])
    try:
        subprocess.run([oarnotify], capture_output=True, timeout=30, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        module.fail_json(msg="could not wake Almighty with oarnotify: %s" % e)
    deadline = time.monotonic() + (p["timeout"] if p["jobs"] else p["settle"])
    while True:
        text = read_from(p["log"], offset)
        tail = text.splitlines()[-40:]
        found = errors(text)
        if found:
            module.fail_json(msg="OAR's log shows a failed scheduling round: %s" % " | ".join(found[:10]),
                             lines=tail)
        placed = scheduled(job_states(module, oarstat, p["jobs"]))
        if placed or time.monotonic() > deadline:
            break
        time.sleep(1)
    if p["jobs"] and not placed:
        module.fail_json(msg="no job of %s was placed within %d s after waking Almighty (still Waiting)"
                             % (", ".join(p["jobs"]), p["timeout"]), lines=tail)
    try:
        queues = dict((q["name"], q) for q in execute(request(), 30, "reading the OAR queues")[0])
    except RunError as e:
        module.fail_json(msg=str(e))
    disabled = [q for q in p["queues"] if not queues.get(q, {}).get("enabled")]
    if disabled:
        module.fail_json(msg="OAR2 disabled queue(s) %s during the round" % ", ".join(disabled), lines=tail)
    module.exit_json(changed=False, offset=os.path.getsize(p["log"]), scheduled=placed, verified=bool(placed),
                     lines=tail)


if __name__ == "__main__":
    main()
