#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_debs_store
short_description: Plan python3-oar and python3-procset for every server of a batch, in the controller's store
version_added: 0.2.0
description:
  - The controller side of the C(oar.oar3.debs) role, run once per batch (C(run_once)). It is an action plugin
    only. It runs entirely on the controller, as the controller's user (it never uses C(become)), and contacts
    no host.
  - Reads, for every server of C(ansible_play_batch), the role's variables that make its job (C(oar3_debs_method),
    C(oar3_debs_build_method), C(oar3_source_repo), C(oar3_source_version), C(oar3_source_packaging_branch),
    C(oar3_source_path), C(oar3_procset_source), C(oar3_procset_sha256), C(oar3_debs_prebuilt),
    C(oar3_dependencies_version)) and its Debian release; servers with the same job share one build.
  - Expands O(dir) once (empty is the per-user cache C($XDG_CACHE_HOME/oar.oar3/debs), else
    C(~/.cache/oar.oar3/debs)) and keeps there the downloads (checked against their sha256, and fetched again
    when the copy there does not match), the unpacked release tarballs, the packed source directories, the
    built C(.deb) files and one index per build.
  - Returns RV(pairs), each server's two C(.deb) files when the store holds them (prebuilt, or built before
    from the same source), and RV(builds), what C(oar.oar3.oar_deb_build) must build on which build host.
author:
  - oar.oar3 developers (@oar-team)
options:
  dir:
    description: The controller directory of the store (C(oar3_debs_dir)); V(~) is the controller user's home.
    type: str
    default: ""
  builders:
    description:
      - The build hosts (the members of C(oar3_builders_group)). Each Debian release is built on the first of
        them running it (their facts must be known), else on the first server of the batch running it.
    type: list
    elements: str
    default: []
  build_root:
    description: Scratch directory on the build hosts.
    type: str
    default: /var/tmp/oar3-build
  maintainer:
    description: Maintainer field of the packages built.
    type: str
    default: oar.oar3 Ansible collection <root@localhost>
  upstream_packages:
    description: For the V(upstream) build method, what the build host needs besides the source's Build-Depends.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Fills the store with downloads and unpacked tarballs (so that check mode can say what it would
      install), never with builds.
  diff_mode:
    support: none
    description: Changes nothing on any host.
  action:
    support: full
    description: An action plugin of the same name runs on the controller first.
"""

EXAMPLES = r"""
- name: Plan every server's packages in the controller's store
  oar.oar3.oar_debs_store:
    dir: /srv/oar3-debs
    builders: "{{ groups['oar3_builders'] | default([]) }}"
  run_once: true
  become: false
  register: plan
"""

RETURN = r"""
store:
  description: The store's directory, expanded.
  returned: success
  type: str
  sample: /home/me/.cache/oar.oar3/debs
pairs:
  description: For each server whose packages the store holds, the controller paths of C(procset) and C(oar).
  returned: success
  type: dict
  sample: {oar2-deb12: {procset: /srv/oar3-debs/bookworm/python3-procset_1.0-0oar3~deb12_all.deb,
           oar: /srv/oar3-debs/bookworm/python3-oar_3.0.1-0oar3~deb12_all.deb}}
builds:
  description: One job per build host and source still to check or build, for C(oar.oar3.oar_deb_build).
  returned: success
  type: list
  elements: dict
hosts:
  description: The job of each server of the batch.
  returned: success
  type: dict
"""
