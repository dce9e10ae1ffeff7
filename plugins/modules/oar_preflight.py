#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_preflight
short_description: Check that an OAR2 server's oar.conf lets OAR3's kamelot and kao run, and read keys
version_added: 0.1.0
description:
  - Reads C(oar.conf) as OAR2's Perl reader does and fails, listing every problem, when a setting that OAR2
    accepts would make OAR3 fail on every round.
  - C(DB_BASE_LOGIN), C(DB_BASE_PASSWD), C(DB_BASE_LOGIN_RO) or C(DB_BASE_PASSWD_RO) containing C(@), C(/),
    C(:) or C(%), which OAR3 pastes into its database URL without escaping. The message names the key, never
    the value.
  - C(QUOTAS="yes") without a readable JSON object at C(QUOTAS_CONF_FILE) (default C(/etc/oar/quotas_conf.json)),
    which OAR3's kamelot loads on every round.
  - Returns the values of the keys listed in O(keys), to record them before a change.
author:
  - oar.oar3 developers (@oar-team)
attributes:
  check_mode:
    support: full
    description: Never changes anything.
  diff_mode:
    support: none
    description: Never changes anything.
options:
  path:
    description: The OAR configuration file.
    type: path
    default: /etc/oar/oar.conf
  keys:
    description: Keys whose values to return (V(null) when unset). Secret keys (passwords, tokens) are refused.
    type: list
    elements: str
    default: []
  check:
    description:
      - V(false) only reads O(keys), for a step that must not be refused (going back to OAR2 needs no OAR3
        setting to be right).
    type: bool
    default: true
notes:
  - Run it as root (C(become)); C(oar.conf) is mode 0600.
"""

EXAMPLES = r"""
- name: Check oar.conf for OAR3 and record the scheduler settings
  oar.oar3.oar_preflight:
    keys: [HIERARCHY_LABELS, META_SCHED_CMD, LOG_FILE]
  register: preflight
"""

RETURN = r"""
values:
  description: Each key of O(keys) mapped to its value as OAR2 reads it, or V(null) when it has no active line.
  returned: success
  type: dict
  sample: {"HIERARCHY_LABELS": null, "META_SCHED_CMD": null, "LOG_FILE": "/var/log/oar.log"}
problems:
  description: Everything that stops OAR3 (on failure).
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils.oar_preflight import problems, public, read_conf


def read_file(path):
    with open(path) as f:
        return f.read()


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type="path", default="/etc/oar/oar.conf"),
                           keys=dict(type="list", elements="str", no_log=False, default=[]),
                           check=dict(type="bool", default=True)),
        supports_check_mode=True,
    )
    try:
        values = read_conf(read_file(module.params["path"]))
        wanted = public(values, module.params["keys"])
    except OSError as e:
        module.fail_json(msg="cannot read %s: %s" % (module.params["path"], e.strerror))
    except ValueError as e:
        module.fail_json(msg="keys: %s" % e)
    found = problems(values, read_file) if module.params["check"] else []
    if found:
        module.fail_json(msg="%s is not ready for OAR3: %s" % (module.params["path"], " ".join(found)),
                         problems=found)
    module.exit_json(changed=False, values=wanted)


if __name__ == "__main__":
    main()
