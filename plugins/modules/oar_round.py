#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_round
short_description: Wake OAR2's Almighty for a scheduling round and report what OAR's log says of it
version_added: 0.1.0
description:
  - Sends Almighty the notification a bare C(oarnotify) sends, then waits for the first complete round of the
    metascheduler that starts in OAR's log after O(offset) (Almighty's C(Launching command) line up to its
    C(terminated with exit value) line), and reports it.
  - Under OAR2's metascheduler, each queue with waiting jobs has a C(Queue Q, Launching scheduler S) line and
    each queue without a C(No job) line; O(queues) and O(scheduler) say what must have run.
  - Fails, with the round's lines, when the metascheduler exits non-zero, when a listed queue ran another
    scheduler, or when the round shows C(returned a bad value), C(Disabling queue), C(Cannot run) or a
    Python traceback (OAR3's kamelot writes its traceback there and exits 1, which OAR2 counts as success).
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
    description:
      - Byte offset of the log from which to look for the round, as returned by an earlier call.
      - Left out, the current end of the log.
    type: int
  metascheduler:
    description: The metascheduler Almighty runs (C(META_SCHED_CMD)), by name or path.
    type: str
    default: oar_meta_sched
  queues:
    description: Queues to report on.
    type: list
    elements: str
    default: []
  scheduler:
    description: Scheduler the O(queues) must have run, when they had waiting jobs.
    type: str
  wait:
    description: Wake Almighty and wait for the round; V(false) only returns the current end of the log.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for a complete round.
    type: int
    default: 60
notes:
  - Run it as root (C(become)); OAR's log is not world-readable.
"""

EXAMPLES = r"""
- name: Mark the end of OAR's log before switching the queue
  oar.oar3.oar_round:
    wait: false
  register: mark

- name: Check that the next round runs kamelot for the default queue, without errors
  oar.oar3.oar_round:
    offset: "{{ mark.offset }}"
    queues: [default]
    scheduler: kamelot
"""

RETURN = r"""
offset:
  description: The end of the log once the round was seen (with O(wait=false), the current end of the log).
  returned: success
  type: int
  sample: 123456
exit:
  description: Exit value of the metascheduler in the round.
  returned: when a round was waited for
  type: int
  sample: 0
queues:
  description: Each queue of the round mapped to the scheduler it ran, or V(null) when it had no waiting job.
  returned: when a round was waited for
  type: dict
  sample: {"default": "kamelot", "besteffort": null}
lines:
  description: The round's lines of OAR's log.
  returned: when a round was waited for
  type: list
  elements: str
"""

import os
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils.oar_log import first_round, problems


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type="path", default="/var/log/oar.log"),
            offset=dict(type="int"),
            metascheduler=dict(type="str", default="oar_meta_sched"),
            queues=dict(type="list", elements="str", default=[]),
            scheduler=dict(type="str"),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        size = os.path.getsize(p["log"])
    except OSError as e:
        module.fail_json(msg="cannot read OAR's log %s: %s" % (p["log"], e.strerror))
    offset = size if p["offset"] is None else p["offset"]
    if offset > size:  # the log was rotated since
        offset = 0
    if not p["wait"] or module.check_mode:
        module.exit_json(changed=False, offset=size)
    oarnotify = module.get_bin_path("oarnotify", required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"])
    try:
        subprocess.run([oarnotify], capture_output=True, timeout=30, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        module.fail_json(msg="could not wake Almighty with oarnotify: %s" % e)
    deadline = time.monotonic() + p["timeout"]
    while True:
        round_ = first_round(read_from(p["log"], offset), p["metascheduler"])
        if round_:
            break
        if time.monotonic() > deadline:
            module.fail_json(msg="no complete round of %s in %s within %d s after waking Almighty: is oar-server "
                                 "running, and is %s its META_SCHED_CMD?" % (p["metascheduler"], p["log"],
                                                                            p["timeout"], p["metascheduler"]),
                             lines=read_from(p["log"], offset).splitlines()[-40:])
        time.sleep(0.5)
    found = problems(round_, p["queues"], p["scheduler"])
    result = dict(changed=False, offset=os.path.getsize(p["log"]), exit=round_["exit"],
                  queues=round_["queues"], lines=round_["lines"])
    if found:
        module.fail_json(msg="; ".join(found), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
