#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_queue_info
short_description: List the queues of an OAR2 server
version_added: 0.2.0
description:
  - Returns every queue of the OAR2 server with its priority, scheduler and whether it is enabled.
  - Reads the C(queues) table through OAR2's own Perl library and read-only database settings
    (C(DB_BASE_LOGIN_RO) in C(/etc/oar/oar.conf)), so no password passes through Ansible.
    Unlike C(oarnotify -l), this does not wake Almighty and the order is stable.
  - Used to record the queues before a migration, so that it can be rolled back.
author:
  - oar.oar3 developers (@oar-team)
requirements:
  - An OAR2 server (Debian's C(oar-server)), whose Perl library C(OAR::IO) this module uses.
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Never changes anything.
  diff_mode:
    support: none
    description: Never changes anything.
options:
  timeout:
    description:
      - Seconds to wait for the OAR database. One that refuses the connection fails the read at once; one that
        accepts and never answers is given this time, then the read is killed and the module fails saying so.
    type: int
    default: 30
notes:
  - Run it as root (C(become)); OAR2's library reads C(/etc/oar/oar.conf), which is mode 0600.
"""

EXAMPLES = r"""
- name: Record the queues before switching them to kamelot
  oar.oar3.oar_queue_info:
  register: queues_before

- name: Show the scheduler of each queue
  ansible.builtin.debug:
    msg: "{{ queues_before.queues | items2dict(key_name='name', value_name='scheduler') }}"
"""

RETURN = r"""
queues:
  description: Every queue, highest priority first (the order in which the metascheduler runs them), then by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Queue name.
      type: str
      sample: default
    priority:
      description: Queue priority.
      type: int
      sample: 2
    scheduler:
      description: Scheduler run for the queue, a file of C(/usr/lib/oar/schedulers/).
      type: str
      sample: oar_sched_gantt_with_timesharing_and_fairsharing_and_quotas
    enabled:
      description: Whether the queue is C(Active), that is, scheduled.
      type: bool
      sample: true
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils._queue import read_all
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner


def main():
    module = AnsibleModule(
        argument_spec=dict(timeout=dict(type="int", default=30)),
        supports_check_mode=True,
    )
    if module.params["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1 second, not %d." % module.params["timeout"])
    try:
        queues = read_all(Runner(module.run_command, module.params["timeout"]))
    except RunError as e:
        module.fail_json(msg=str(e), timed_out=e.timed_out)
    module.exit_json(changed=False, queues=queues)


if __name__ == "__main__":
    main()
