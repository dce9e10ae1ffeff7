#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_dependencies
short_description: Decide a server's OAR3 release and install OAR3's run-time dependencies in one apt transaction
version_added: 0.2.0
description:
  - The work of the C(oar.oar3.dependencies) role in one task (an action plugin over C(oar.oar3.oar_deb_install)).
  - On the controller, from the server's facts, refuses any system other than Debian 12 or 13 and an
    O(version) the server's Debian cannot run (OAR3 3.0.2 and later need SQLAlchemy 2, so Debian 13), and
    decides the release (empty O(version) is the newest that runs there). Sets the facts
    C(oar3_dependencies_version) and, when O(done_key) is set, C(__oar3_dependencies_done).
  - Then installs what O(packages) lacks in one apt transaction, none when C(dpkg-query) shows nothing
    missing. With O(for_debs), when the server builds its own packages in the C(oar.oar3.debs) role (no host
    of C(oar3_builders_group) runs its Debian release), the build dependencies go into the same transaction.
  - With the task keyword C(async) (and C(poll=0)), the install runs in the background when something is
    missing; the result then has C(ansible_job_id) for C(ansible.builtin.async_status).
author:
  - oar.oar3 developers (@oar-team)
options:
  version:
    description: The OAR3 release wanted (C(oar3_version)); empty means the newest for the server's Debian.
    type: str
    default: ""
  packages:
    description: The run-time dependencies.
    type: list
    elements: str
    default: []
  install:
    description: V(false) only decides and checks the release.
    type: bool
    default: true
  cache_valid_time:
    description: Seconds for which the apt package lists count as fresh.
    type: int
    default: 3600
  for_debs:
    description: Add the build dependencies when the server builds its own packages.
    type: bool
    default: false
  done_key:
    description: Set as the fact C(__oar3_dependencies_done) once installed (the debs role then skips this role).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Says what apt would install, without needing python3-apt.
  diff_mode:
    support: full
    description: Shows the packages before and after (name and version, or not installed).
  action:
    support: full
    description: An action plugin of the same name runs on the controller first.
  async:
    support: partial
    description: Runs in the background only when something is to be installed.
"""

EXAMPLES = r"""
- name: Decide the OAR3 release and install its run-time dependencies
  oar.oar3.oar_dependencies:
    version: "3.0.1"
    packages: [python3-sqlalchemy, python3-zmq]
"""

RETURN = r"""
version:
  description: The OAR3 release decided for the server.
  returned: success
  type: str
  sample: 3.0.1
missing:
  description: What was missing (installed now, unless in check mode).
  returned: when installing
  type: list
  elements: str
builds_self:
  description: Whether the build dependencies were added (the server builds its own packages).
  returned: when installing
  type: bool
"""
