#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_queue
short_description: Ensure one queue of an OAR2 server
version_added: 0.1.0
description:
  - Creates, changes or removes one OAR2 queue; its priority, scheduler and enabled state.
  - "How a queue is changed: in place, with one C(UPDATE) of its row in the C(queues) table inside a transaction,
    through OAR2's own Perl library and database settings, then Almighty is woken as C(oarnotify) does.
    The row is read back before the transaction commits; any failure (database down, timeout, a row that
    does not read back as written) rolls it back, so the queue is left exactly as it was."
  - "Why not C(oarnotify --remove-queue) then C(--add-queue), as the upstream page does: that leaves a window
    where the queue does not exist (C(oarsub -q) is refused), re-creates the queue disabled on OAR2 2.6.1
    (its jobs then silently stop being scheduled), and a failure between the two calls loses the queue.
    C(oarnotify) also pastes names into SQL unquoted and exits 0 when it did nothing."
  - Waiting jobs of the queue keep their queue and are scheduled by the new scheduler at the next round.
  - Names are checked before anything runs; the queue read back after a change must equal what was asked.
author:
  - oar.oar3 developers (@oar-team)
requirements:
  - An OAR2 server (Debian's C(oar-server)), whose Perl library C(OAR::IO) this module uses.
attributes:
  check_mode:
    support: full
    description: Reads the queue and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: Shows the queue's fields before and after.
options:
  name:
    description:
      - Queue name. 1 to 100 characters among letters, digits, C(_) and C(-) (OAR2 pastes names into SQL).
    type: str
    required: true
  state:
    description:
      - C(present) creates or changes the queue, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - Queue priority (higher runs first). Left out, an existing queue keeps its priority; required to create one.
    type: int
  scheduler:
    description:
      - Scheduler of the queue, the name of an executable file of C(/usr/lib/oar/schedulers/), same alphabet as I(name).
      - Left out, an existing queue keeps its scheduler; required to create one.
    type: str
  enabled:
    description:
      - Whether the queue is C(Active). Left out, an existing queue keeps its state (an admin may have disabled it
        on purpose) and a new queue is enabled.
    type: bool
  validate_scheduler:
    description:
      - Refuse to point a queue at a scheduler that is not an executable file of C(/usr/lib/oar/schedulers/).
        OAR2's metascheduler disables a queue whose scheduler cannot run.
    type: bool
    default: true
  force:
    description:
      - With I(state=absent), remove the queue even when it still has jobs that are not C(Terminated) or C(Error).
        Such jobs are then never scheduled and C(oarsub -q) to the queue is refused.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for the OAR database. OAR2 waits forever when it cannot reach it, so each call is killed
        after this time, the transaction is rolled back, and the module fails saying so.
    type: int
    default: 30
notes:
  - Run it as root (C(become)); OAR2's library reads C(/etc/oar/oar.conf), which is mode 0600.
seealso:
  - module: oar.oar3.oar_queue_info
"""

EXAMPLES = r"""
- name: Schedule the default queue with OAR3's kamelot, keeping its priority and state
  oar.oar3.oar_queue:
    name: default
    scheduler: kamelot

- name: Same, with the priority of the upstream page
  oar.oar3.oar_queue:
    name: default
    scheduler: kamelot
    priority: 3

- name: Create a disabled queue
  oar.oar3.oar_queue:
    name: test
    priority: 5
    scheduler: oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas
    enabled: false

- name: Remove a queue that has no jobs left
  oar.oar3.oar_queue:
    name: test
    state: absent
"""

RETURN = r"""
queue:
  description: The queue after the task (what it would be, in check mode), or null once removed.
  returned: success
  type: dict
  sample: {name: default, priority: 2, scheduler: kamelot, enabled: true}
previous:
  description: The queue before the task, or null when it did not exist.
  returned: success
  type: dict
  sample: {name: default, priority: 2, scheduler: oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas, enabled: true}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils.oar_queue import (
    QueueError, busy_jobs_message, execute, plan, render, request, validate,
)
from ansible_collections.oar.oar3.plugins.module_utils.oar_run import RunError

SCHEDULERS_DIR = "/usr/lib/oar/schedulers"


def call(module, name, action=None, wanted=None):
    """Run the request; return (queue named `name` or None, busy job count).
    Raises RunError."""
    what = "reading the OAR queues" if action is None else "the %s of queue %s" % (action, name)
    queues, busy = execute(request(name, action, wanted), module.params["timeout"], what)
    return next((q for q in queues if q["name"] == name), None), busy


def outcome(module, name, current, wanted):
    """After a failed change, say what the queue reads as now."""
    try:
        now, _busy = call(module, name)
    except RunError as e:
        return "Queue %s could not be read back (%s): check it with oar.oar3.oar_queue_info." % (name, e)
    if now == current:
        return "The transaction was rolled back: queue %s is as it was." % name
    if now == wanted:
        return "The change itself was committed: queue %s reads as asked." % name
    return "Queue %s now reads as %s: check it." % (name, now)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            priority=dict(type="int"),
            scheduler=dict(type="str"),
            enabled=dict(type="bool"),
            validate_scheduler=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1 second, not %d." % p["timeout"])
    try:
        validate(p["name"], p["priority"], p["scheduler"])
    except QueueError as e:
        module.fail_json(msg=str(e))

    try:
        current, busy = call(module, p["name"])
    except RunError as e:
        module.fail_json(msg=str(e), timed_out=e.timed_out)
    try:
        action, wanted = plan(current, p["name"], p["state"], p["priority"], p["scheduler"], p["enabled"])
    except QueueError as e:
        module.fail_json(msg=str(e))

    if action in ("create", "update") and p["validate_scheduler"] and (
            current is None or wanted["scheduler"] != current["scheduler"]):
        path = os.path.join(SCHEDULERS_DIR, wanted["scheduler"])
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            module.fail_json(msg="scheduler %s is not an executable file of %s: OAR2's metascheduler would disable "
                                 "queue %s at its next round. Install or link it first, or set validate_scheduler=false."
                                 % (wanted["scheduler"], SCHEDULERS_DIR, p["name"]))
    if action == "delete" and busy and not p["force"]:
        module.fail_json(msg=busy_jobs_message(p["name"], busy))

    result = dict(changed=action is not None, previous=current, queue=wanted)
    if module._diff:
        result["diff"] = dict(before=render(current), after=render(wanted),
                              before_header="queue %s" % p["name"], after_header="queue %s" % p["name"])
    if action is None or module.check_mode:
        module.exit_json(**result)

    try:
        after, _busy = call(module, p["name"], action, wanted)
    except RunError as e:
        module.fail_json(msg="%s %s" % (e, outcome(module, p["name"], current, wanted)), timed_out=e.timed_out, **result)
    if after != wanted:
        module.fail_json(msg="queue %s reads back as %s after the %s, not as asked (%s)."
                             % (p["name"], after, action, wanted), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
