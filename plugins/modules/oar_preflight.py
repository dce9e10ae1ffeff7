#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_preflight
short_description: Check an OAR2 server before switching it to OAR3's kamelot or kao, in one call
version_added: 0.2.0
description:
  - Everything the roles check before a change, in one call, failing with every problem found and
    "Nothing was changed".
  - OAR3's scripts of O(scripts) are executable files of C(/usr/lib/oar/) and their modules import
    (C(oar.kao.kamelot), C(oar.kao.kao)). In check mode a missing script is a warning (a check run of the whole
    migration has not installed python3-oar yet).
  - C(oar-server) is active (O(server)), since every change is proven in a scheduling round.
  - C(oar.conf), read as OAR2's Perl reader does, has no setting that OAR2 accepts and OAR3 fails on
    (O(check)), namely C(DB_BASE_LOGIN), C(DB_BASE_PASSWD), C(DB_BASE_LOGIN_RO) or C(DB_BASE_PASSWD_RO) containing
    characters that OAR3 pastes into its database URL without escaping (the message names the key, never the
    value); C(QUOTAS="yes") without a readable JSON object at C(QUOTAS_CONF_FILE).
  - O(hierarchy_labels) names columns of the C(resources) table; every queue of O(switch) exists.
  - Returns what a change would replace and whether it changes anything (RV(changes)), computed by the same
    planners that the queue and oar.conf modules use, and a mark of OAR's log to prove the change from.
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
      - V(false) skips the checks of OAR3's settings, scripts and server, for a step that must not be refused
        (going back to OAR2 needs no OAR3 setting to be right); the database is still read.
    type: bool
    default: true
  scripts:
    description: OAR3 scripts that must be installed and import.
    type: list
    elements: str
    choices: [kamelot, kao]
    default: []
  server:
    description: Require C(oar-server) to be active.
    type: bool
    default: false
  switch:
    description: Queues a change will switch; each must exist.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Queue name.
        type: str
        required: true
      scheduler:
        description: The scheduler the change gives it; left out, kept.
        type: str
      priority:
        description: The priority the change gives it; left out, kept.
        type: int
  settings:
    description:
      - oar.conf settings a change will make (a V(null) value removes the key's line); their current values are
        returned in RV(current), and whether they change in RV(changes).
    type: dict
    default: {}
  hierarchy_labels:
    description: C(HIERARCHY_LABELS) a change will set; each label must be a column of the C(resources) table.
    type: str
  smoke_job:
    description: Whether a smoke job will be submitted; then O(smoke_user) must not be empty.
    type: bool
    default: false
  smoke_user:
    description: The user of the smoke job.
    type: str
    default: ""
  variables:
    description: Prefix of the role variables that messages name (for example V(oar3_kamelot)).
    type: str
    default: ""
  links:
    description:
      - Symbolic links a change will make; each whose O(links[].dest) is not a link to O(links[].src) is a line
        of RV(changes).
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: What the link points at.
        type: path
        required: true
      dest:
        description: The link.
        type: path
        required: true
  columns:
    description: Database columns a change will add; each missing one is a line of RV(changes).
    type: list
    elements: dict
    default: []
    suboptions:
      table:
        description: The table.
        type: str
        required: true
      name:
        description: The column.
        type: str
        required: true
  packages:
    description: Debian packages whose installed versions to return in RV(packages).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds for the whole call (the database reads and the import checks).
    type: int
    default: 60
notes:
  - Run it as root (C(become)); C(oar.conf) is mode 0600.
"""

EXAMPLES = r"""
- name: Check the server before switching the default queue to kamelot
  oar.oar3.oar_preflight:
    scripts: [kamelot]
    server: true
    switch: [{name: default, scheduler: kamelot}]
    hierarchy_labels: resource_id,network_address,cpu,core
    keys: [HIERARCHY_LABELS]
  register: preflight
"""

RETURN = r"""
current:
  description: Each key of O(keys) and O(settings), and C(LOG_FILE), mapped to its value as OAR2 reads it, or V(null).
  returned: success
  type: dict
  sample: {"HIERARCHY_LABELS": null, "LOG_FILE": "/var/log/oar.log"}
queues:
  description: Every queue, highest priority first.
  returned: success
  type: list
  elements: dict
listed:
  description: The queues of O(switch) as they are now, in the order given.
  returned: success
  type: list
  elements: dict
changes:
  description: What the switch, the settings, the links and the columns would change, one line each; empty when nothing.
  returned: success
  type: list
  elements: str
leftovers:
  description:
    - With O(settings), the temporary files that a killed write of O(path) left beside it (they may hold the
      passwords); the next write by M(oar.oar3.oar_conf) removes them.
  returned: success
  type: list
  elements: str
in_place:
  description:
    - True when the change would change nothing (RV(changes) and RV(leftovers) empty), so that a role can skip its
      change steps on a re-run.
  returned: success
  type: bool
packages:
  description: Each package of O(packages) mapped to its installed version, or V(null) when it is not installed.
  returned: success
  type: dict
  sample: {"oar-server": "2.5.9-1", "python3-oar": null}
log:
  description: OAR's log file (C(LOG_FILE), else C(/var/log/oar.log)).
  returned: success
  type: str
mark:
  description: The end of OAR's log (C(offset)), the server's time (C(epoch)) and the log (C(log)), to prove a change from.
  returned: success
  type: dict
enabled:
  description: The queues of O(switch) that are enabled now, in the order given.
  returned: success
  type: list
  elements: str
missing:
  description: In check mode, the scripts of O(scripts) that do not work yet.
  returned: success
  type: list
  elements: str
problems:
  description: Everything that stops the change (on failure).
  returned: failure
  type: list
  elements: str
"""

import os
import socket
import sys
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf
from ansible_collections.oar.oar3.plugins.module_utils._db import OarDbError, check_identifier, columns
from ansible_collections.oar.oar3.plugins.module_utils._preflight import (
    changes, check_labels, check_queues, column_changes, leftovers, link_changes, package_versions, problems, public,
    read_conf,
)
from ansible_collections.oar.oar3.plugins.module_utils._queue import QueueError, plan_set, read_all
from ansible_collections.oar.oar3.plugins.module_utils._run import RunError, Runner

OAR_LIB = "/usr/lib/oar"
DEFAULT_LOG = "/var/log/oar.log"


def read_file(path):
    with open(path) as f:
        return f.read()


def script_problem(runner, name):
    """Why OAR3's script `name` cannot run, or None."""
    path = os.path.join(OAR_LIB, name)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return "%s is missing or not executable" % path
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    rc, _out, err = runner.run([python, "-c", "import oar.kao.%s" % name], "importing oar.kao.%s" % name, limit=60)
    if rc != 0:
        lines = err.strip().splitlines()
        return lines[-1] if lines else "exit %d" % rc
    return None


def dpkg_show(runner, names):
    """dpkg-query's lines for names ('' when there are none); an unknown package is not an error."""
    if not names:
        return ""
    rc, out, err = runner.run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status} ${Version}\n"]
                              + list(names), "dpkg-query --show", limit=30)
    if rc not in (0, 1):  # 1: a package is unknown
        raise RunError("dpkg-query --show failed (exit %d): %s" % (rc, err.strip()), rc=rc, stderr=err)
    return out


def conf_leftovers(path):
    directory, name = os.path.split(path)
    try:
        return leftovers(name, os.listdir(directory or "."))
    except OSError:
        return []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/oar/oar.conf"),
            keys=dict(type="list", elements="str", no_log=False, default=[]),
            check=dict(type="bool", default=True),
            scripts=dict(type="list", elements="str", choices=["kamelot", "kao"], default=[]),
            server=dict(type="bool", default=False),
            switch=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True), scheduler=dict(type="str"), priority=dict(type="int"))),
            settings=dict(type="dict", default={}),
            hierarchy_labels=dict(type="str"),
            smoke_job=dict(type="bool", default=False),
            smoke_user=dict(type="str", default=""),
            variables=dict(type="str", default=""),
            links=dict(type="list", elements="dict", default=[], options=dict(
                src=dict(type="path", required=True), dest=dict(type="path", required=True))),
            columns=dict(type="list", elements="dict", default=[], options=dict(
                table=dict(type="str", required=True), name=dict(type="str", required=True))),
            packages=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    var = (p["variables"] + "_") if p["variables"] else ""
    runner = Runner(module.run_command, max(1, p["timeout"]))
    found, missing = [], []
    if p["smoke_job"] and not p["smoke_user"]:
        found.append("%ssmoke_job is true but %ssmoke_user is empty." % (var, var))
    # The role's variable is named before oar.conf's own refusal of the same value.
    bad_labels = []
    if p["hierarchy_labels"] is not None:
        bad_labels = check_labels(p["hierarchy_labels"], None, var + "hierarchy_labels")
    found += bad_labels
    try:
        text = read_file(p["path"])
        values = read_conf(text)
        shown = public(values, list(p["keys"]) + [k for k in p["settings"] if k not in p["keys"]] + ["LOG_FILE"])
        to_set = dict((k, v) for k, v in p["settings"].items() if v is not None)
        to_remove = [k for k, v in p["settings"].items() if v is None]
        conf_plan = oar_conf.plan(text, to_set, [], to_remove) if p["settings"] and not bad_labels else None
    except (OSError, UnicodeDecodeError) as e:
        module.fail_json(msg="cannot read %s: %s. Nothing was changed." % (p["path"], getattr(e, "strerror", e)))
    except ValueError as e:  # secret keys asked for
        module.fail_json(msg="keys: %s" % e)
    except oar_conf.OarConfError as e:
        module.fail_json(msg="settings: %s" % e)
    log = values.get("LOG_FILE") or DEFAULT_LOG
    try:
        offset = os.path.getsize(log)
    except OSError:
        offset = 0
    mark = dict(offset=offset, epoch=int(time.time()), log=log)

    if p["check"]:
        found += problems(values, read_file)
        for name in p["scripts"]:
            try:
                why = script_problem(runner, name)
            except RunError as e:
                why = str(e)
            if why and module.check_mode:
                missing.append(name)
                module.warn("Check mode: OAR3's %s is not usable yet (%s). A real run refuses to go on unless the "
                            "oar.oar3.debs role installs python3-oar first (migrate.yml runs it before)." % (name, why))
            elif why:
                found.append("OAR3's %s is not usable (%s): install python3-oar with the oar.oar3.debs role first."
                             % (name, why))
        if p["server"]:
            _rc, out, _err = runner.run(["systemctl", "is-active", "oar-server"], "systemctl is-active", limit=30)
            state = out.strip() or "unknown"
            if state != "active":
                # The machine's own name: the message may be read away from Ansible's host banner.
                found.append("oar-server is %s on %s: start it first, the change can only be proven in a "
                             "scheduling round." % (state, socket.gethostname()))

    queues, ops, more = [], [], link_changes(p["links"], os.readlink)
    known = {}

    def columns_of(table):
        if table not in known:
            known[table] = columns(runner, table, [], "reading the columns of %s" % table)
        return known[table]

    try:
        for column in p["columns"]:
            check_identifier(column["table"], "table")
            check_identifier(column["name"], "column")
    except OarDbError as e:
        module.fail_json(msg="columns: %s Nothing was changed." % e)
    try:
        queues = read_all(runner)
        if p["hierarchy_labels"] is not None and not bad_labels:
            found += check_labels(p["hierarchy_labels"], columns_of("resources"), var + "hierarchy_labels")
        more += column_changes(p["columns"], columns_of)
        queue_problems = check_queues(p["switch"], queues, var + "queues")
        found += queue_problems
        if not queue_problems:
            ops = plan_set(queues, [dict(q, enabled=None) for q in p["switch"]])
    except RunError as e:
        found.append("OAR's database cannot be read: %s" % e)
    except QueueError as e:
        found.append("%squeues: %s" % (var, e))
    versions = {}
    try:
        versions = package_versions(p["packages"], dpkg_show(runner, p["packages"]))
    except RunError as e:
        found.append("The installed packages cannot be read: %s" % e)
    if found:
        module.fail_json(msg="%s Nothing was changed." % " ".join(found), problems=found)
    by_name = dict((q["name"], q) for q in queues)
    listed = [by_name[q["name"]] for q in p["switch"]]
    conf_keys = sorted(set(conf_plan.changed_keys) | set(conf_plan.collapsed_keys)) if conf_plan else []
    would = changes(ops, conf_keys, values, p["settings"]) + more
    left = conf_leftovers(p["path"]) if p["settings"] else []
    module.exit_json(changed=False, current=shown, queues=queues, listed=listed, changes=would, log=log,
                     mark=mark, missing=missing, enabled=[q["name"] for q in listed if q["enabled"]],
                     leftovers=left, in_place=not (would or left), packages=versions)


if __name__ == "__main__":
    main()
