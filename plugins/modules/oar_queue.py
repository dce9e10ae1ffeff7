#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_queue
short_description: Ensure one queue, or a set of queues, of an OAR2 server
version_added: 0.2.0
description:
  - Creates, changes or removes one OAR2 queue (O(name)), or a set of queues in one transaction (O(queues)),
    setting priority, scheduler and enabled state.
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
  - "Each write is a compare-and-set: a row is written only if it is still what the module read, so a change made
    meanwhile (an admin's C(oarnotify -d)) is never undone: the module reads again and plans again (three tries)."
  - Almighty is woken once, after the commit, with a connect timeout; if it cannot be reached the change stays
    committed and the module says so (RV(notified) is V(false), with a warning).
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
      - One of O(name) and O(queues) is required.
    type: str
  queues:
    description:
      - Queues to ensure together, in one transaction (all or none is written). Each item takes the options
        O(name), O(state), O(priority), O(scheduler) and O(enabled) of a single queue; a field left out or
        V(null) keeps its value.
      - Used to switch a set of queues, to put back a recorded set, and to give every queue back its state
        after a restart of C(oar-server).
    type: list
    elements: dict
    suboptions:
      name:
        description: Queue name, as O(name).
        type: str
        required: true
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
      priority:
        description: As O(priority); left out or V(null), kept.
        type: int
      scheduler:
        description: As O(scheduler); left out or V(null), kept.
        type: str
      enabled:
        description: As O(enabled); left out or V(null), kept.
        type: bool
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
      - Seconds for the whole call (reading, writing and waking Almighty). A database that refuses the connection
        fails the call at once, with its reason; for one that accepts and never answers, at this deadline every
        program of the call is killed, the transaction is rolled back, and the module fails saying so.
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

- name: Switch two queues to kamelot in one transaction
  oar.oar3.oar_queue:
    queues:
      - name: default
        scheduler: kamelot
      - name: gpu
        scheduler: kamelot
        priority: 4

- name: Remove a queue that has no jobs left
  oar.oar3.oar_queue:
    name: test
    state: absent
"""

RETURN = r"""
changed_queues:
  description: Names of the queues the task changed (would change, in check mode).
  returned: success
  type: list
  elements: str
  sample: [default]
queues:
  description: With O(queues), the listed queues after the task, in the order given (null for a removed one).
  returned: success, with O(queues)
  type: list
  elements: dict
all_queues:
  description: Every queue of the server after the task, highest priority first.
  returned: success
  type: list
  elements: dict
notified:
  description: Whether Almighty was woken after a change (V(false) when it could not be reached).
  returned: success
  type: bool
queue:
  description: The queue after the task (what it would be, in check mode), or null once removed.
  returned: success
  type: dict
  sample: {name: default, priority: 2, scheduler: kamelot, enabled: true}
previous:
  description: The queue before the task, or null when it did not exist; with O(queues), the list of them.
  returned: success
  type: raw
  sample: {name: default, priority: 2, scheduler: oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas, enabled: true}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils._preflight import read_conf
from ansible_collections.oar.oar3.plugins.module_utils._queue import (
    QueueError, almighty_address, apply_set, read_all, render, render_set, wake_almighty,
)
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner

SCHEDULERS_DIR = "/usr/lib/oar/schedulers"
CONF = "/etc/oar/oar.conf"
QUEUE_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    priority=dict(type="int"),
    scheduler=dict(type="str"),
    enabled=dict(type="bool"),
)


def scheduler_check(module):
    def check(name, action, before, after):
        if action == "delete" or not module.params["validate_scheduler"]:
            return
        if before is not None and after["scheduler"] == before["scheduler"]:
            return
        path = os.path.join(SCHEDULERS_DIR, after["scheduler"])
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise QueueError("scheduler %s is not an executable file of %s: OAR2's metascheduler would disable "
                             "queue %s at its next round. Install or link it first, or set validate_scheduler=false."
                             % (after["scheduler"], SCHEDULERS_DIR, name))
    return check


def wake(module, runner):
    """After a commit: wake Almighty. Returns (notified, warning)."""
    try:
        with open(CONF) as f:
            values = read_conf(f.read())
    except (OSError, UnicodeDecodeError) as e:
        return False, "the change is committed, but %s could not be read to wake Almighty (%s)" % (CONF, e)
    host, port = almighty_address(values)
    failed = wake_almighty(host, port, max(1, min(5, runner.remaining())))
    if failed:
        return False, "the change is committed, but %s: the next round of OAR2 schedules it" % failed
    return True, None


def outcome(module, wanted, error):
    """After a failed change, say what the queues read as now."""
    names = [q["name"] for q in wanted]
    before = getattr(error, "before", None)
    if before is None:  # the first read failed: nothing was written
        return "Nothing was changed."
    try:
        now = dict((q["name"], q) for q in read_all(Runner(module.run_command, 10)))
    except RunError as e:
        return "Queue(s) %s could not be read back (%s): check them with oar.oar3.oar_queue_info." % (
            ", ".join(names), e)
    old = dict((q["name"], q) for q in before)
    if all(now.get(n) == old.get(n) for n in names):
        return "The transaction was rolled back: %s." % ", ".join("queue %s is as it was" % n for n in names)
    return "Queue(s) now read as %s: check them." % "; ".join(
        render(now.get(n)).replace("\n", " ").strip() or "%s absent" % n for n in names)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            QUEUE_OPTIONS,
            name=dict(type="str"),
            queues=dict(type="list", elements="dict", options=QUEUE_OPTIONS),
            validate_scheduler=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            timeout=dict(type="int", default=30),
        ),
        required_one_of=[("name", "queues")],
        mutually_exclusive=[("name", "queues")],
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1 second, not %d." % p["timeout"])
    single = p["queues"] is None
    wanted = [dict((k, p[k]) for k in QUEUE_OPTIONS)] if single else p["queues"]
    runner = Runner(module.run_command, p["timeout"])
    try:
        before, after, ops = apply_set(runner, wanted, p["force"], module.check_mode,
                                       validate_op=scheduler_check(module))
    except QueueError as e:
        module.fail_json(msg="%s Nothing was changed." % e)
    except RunError as e:
        module.fail_json(msg="%s %s" % (e, outcome(module, wanted, e)), timed_out=e.timed_out)

    names = [q["name"] for q in wanted]
    old, new = dict((q["name"], q) for q in before), dict((q["name"], q) for q in after)
    result = dict(changed=bool(ops), changed_queues=[op[0] for op in ops], all_queues=after, notified=False)
    if single:
        result.update(previous=old.get(names[0]), queue=new.get(names[0]))
    else:
        result.update(previous=[old.get(n) for n in names], queues=[new.get(n) for n in names])
    if module._diff:
        result["diff"] = dict(before=render_set(old.get(n) for n in names), after=render_set(new.get(n) for n in names),
                              before_header="queues %s" % ", ".join(names), after_header="queues %s" % ", ".join(names))
    if ops and not module.check_mode:
        result["notified"], warning = wake(module, runner)
        if warning:
            module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
