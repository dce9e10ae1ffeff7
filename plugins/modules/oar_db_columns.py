#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_db_columns
short_description: List the columns of a table of OAR2's database, and add missing ones
version_added: 0.2.0
description:
  - Returns the columns of a table of the OAR2 server's database.
  - Adds the columns listed in O(ensure) that the table lacks, in one transaction. It never drops,
    renames or alters a column, so it is safe on a live OAR2 database.
  - OAR3's kamelot reads C(jobs.last_karma), which OAR2's schema does not have; without it every
    kamelot round fails and jobs stay Waiting.
  - Goes through OAR2's own Perl library and database settings (C(/etc/oar/oar.conf)), with the
    read-only account to list and C(DB_BASE_LOGIN) to add. No password passes through Ansible.
author:
  - oar.oar3 developers (@oar-team)
requirements:
  - An OAR2 server (Debian's C(oar-server)), whose Perl library C(OAR::IO) this module uses.
attributes:
  check_mode:
    support: full
    description: Lists the table and reports the columns it would add.
  diff_mode:
    support: full
    description: Shows the columns before and after.
options:
  table:
    description: Table of the OAR database, for example V(resources) or V(jobs).
    type: str
    required: true
  ensure:
    description:
      - Columns that must exist; the missing ones are added.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Column name (lower-case SQL name).
        type: str
        required: true
      type:
        description: Column type, used only when the column is added.
        type: str
        required: true
        choices: [real, integer, bigint, double precision, text, boolean]
  timeout:
    description:
      - Seconds to wait for the OAR database (one that refuses the connection fails the call at once).
    type: int
    default: 30
notes:
  - Run it as root (C(become)); OAR2's library reads C(/etc/oar/oar.conf), which is mode 0600.
"""

EXAMPLES = r"""
- name: Give OAR2's database the column OAR3's kamelot reads
  oar.oar3.oar_db_columns:
    table: jobs
    ensure:
      - name: last_karma
        type: real

- name: Read the resource properties, to check HIERARCHY_LABELS against them
  oar.oar3.oar_db_columns:
    table: resources
  register: resources_columns
"""

RETURN = r"""
columns:
  description: The table's columns, in table order, after the additions (in check mode, as they would be).
  returned: success
  type: list
  elements: str
  sample: [resource_id, type, network_address, cpu, core]
added:
  description: The columns added (in check mode, that would be added).
  returned: success
  type: list
  elements: str
  sample: [last_karma]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils._db import TYPES, OarDbError, columns, missing, validate
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            table=dict(type="str", required=True),
            ensure=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                type=dict(type="str", required=True, choices=list(TYPES)))),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    table, ensure, timeout = module.params["table"], module.params["ensure"], module.params["timeout"]
    try:
        if timeout < 1:
            raise OarDbError("timeout must be at least 1 second, not %d." % timeout)
        validate(table, ensure)
        runner = Runner(module.run_command, timeout)
        before = columns(runner, table, [], "reading the columns of %s" % table)
        add = missing(before, ensure)
        after = before + [c["name"] for c in add]
        if add and not module.check_mode:
            after = columns(runner, table, add, "adding %s to %s" % (", ".join(c["name"] for c in add), table))
    except (OarDbError, RunError) as e:
        module.fail_json(msg=str(e), timed_out=getattr(e, "timed_out", False))
    module.exit_json(changed=bool(add), columns=after, added=[c["name"] for c in add],
                     diff=dict(before={table: before}, after={table: after}))


if __name__ == "__main__":
    main()
