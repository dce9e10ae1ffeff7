#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_deb_install
short_description: Install Debian packages or a python3-oar/python3-procset pair in one apt transaction
version_added: 0.2.0
description:
  - With O(packages), installs what C(dpkg-query) does not show installed, in one C(apt-get install)
    (after C(apt-get update) when the package lists are older than O(cache_valid_time)); when nothing is
    missing, apt is not run at all.
  - With O(pair), the controller paths of a C(python3-procset) and a C(python3-oar) C(.deb), when the
    installed versions already equal the files' (Debian's file naming, C(<name>_<version>_<arch>.deb)),
    only checks that O(scripts) are executable and that O(import_check) works. Otherwise its action plugin
    copies both files to O(dest), the module unpacks them into a scratch directory and runs O(import_check)
    with them (nothing is installed when that fails, and the failure says why), installs both in one apt
    transaction, and checks again. Sets the fact C(oar3_debs_pair) to O(pair).
author:
  - oar.oar3 developers (@oar-team)
options:
  packages:
    description: Debian packages to have installed.
    type: list
    elements: str
    default: []
  pair:
    description:
      - Controller paths of the two files, C(procset) and C(oar). Empty with O(install=true) fails, except in
        check mode (the packages are not built yet).
    type: dict
    default: {}
  install:
    description: V(false) only sets the fact C(oar3_debs_pair), without contacting the host.
    type: bool
    default: true
  dest:
    description: Directory on the host where the C(.deb) files are kept.
    type: path
    default: /var/cache/oar3-debs
  import_check:
    description: Python code that must run with the packages (for example C(import oar.kao.kamelot, oar.kao.kao)).
    type: str
    default: import oar.kao.kamelot, oar.kao.kao
  scripts:
    description: Files that must be executable once the packages are installed.
    type: list
    elements: path
    default: [/usr/lib/oar/kamelot, /usr/lib/oar/kao]
  cache_valid_time:
    description: Seconds for which the apt package lists count as fresh; V(0) updates them before installing.
    type: int
    default: 3600
  query:
    description: Only report what O(packages) lacks (RV(missing)); install nothing.
    type: bool
    default: false
  remote_src:
    description:
      - The files of O(pair) are already on the host at these paths (set by the action plugin once it has
        copied them; a task never needs it).
    type: bool
    default: false
  host:
    description: The host's inventory name, for messages (set by the action plugin).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Says what it would install; installs and copies nothing.
  diff_mode:
    support: full
    description: Shows the packages before and after (name and version, or not installed).
  action:
    support: full
    description: An action plugin of the same name runs on the controller first.
notes:
  - Needs root on the host (C(become)).
"""

EXAMPLES = r"""
- name: Install OAR3's run-time dependencies
  oar.oar3.oar_deb_install:
    packages: [python3-sqlalchemy, python3-zmq]

- name: Install python3-procset and python3-oar
  oar.oar3.oar_deb_install:
    pair:
      procset: /home/me/.cache/oar.oar3/debs/bookworm/python3-procset_1.0-0oar3~deb12_all.deb
      oar: /home/me/.cache/oar.oar3/debs/bookworm/python3-oar_3.0.1-0oar3~deb12_all.deb
"""

RETURN = r"""
missing:
  description: What O(packages) lacked (installed now, unless in check mode or with O(query)).
  returned: with O(packages)
  type: list
  elements: str
installed:
  description: The C(.deb) files installed.
  returned: with O(pair)
  type: list
  elements: str
needs_files:
  description: The files of O(pair) must be copied to the host first (the action plugin's protocol).
  returned: sometimes
  type: bool
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oar.oar3.plugins.module_utils import _debs, _debs_host

WORKS_CHECK = '''import os, sys
for script in sys.argv[1:]:
    if not os.access(script, os.X_OK):
        raise SystemExit(script + " is missing or not executable")
'''


def os_name():
    try:
        with open('/etc/os-release') as f:
            for line in f:
                if line.startswith('PRETTY_NAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except (IOError, OSError):
        pass
    return 'this system'


def packages(module):
    p = module.params
    try:
        missing = _debs_host.missing(module, p['packages'])
        if not missing or p['query']:
            module.exit_json(changed=False, missing=missing)
        diff = {'before': ''.join('%s (not installed)\n' % m for m in missing),
                'after': ''.join('%s\n' % m for m in missing)}
        if module.check_mode:
            module.exit_json(changed=True, missing=missing, msg='Would install %s.' % ', '.join(missing), diff=diff)
        _debs_host.apt_install(module, missing, p['cache_valid_time'])
    except _debs_host.HostError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=True, missing=missing, msg='Installed %s.' % ', '.join(missing), diff=diff)


def works(module, host):
    rc, out, err = module.run_command(['python3', '-c', WORKS_CHECK + module.params['import_check']]
                                      + module.params['scripts'])
    if rc != 0:
        module.fail_json(msg='python3-oar is installed on %s but does not work: %s.'
                         % (host, _debs_host.last_line(err, 'exit %d' % rc)))


def pair(module):
    p = module.params
    host = p['host'] or 'this server'
    files = [p['pair']['procset'], p['pair']['oar']]
    if not all(_debs.deb_name(f) for f in files):
        module.fail_json(msg='Not named the Debian way (<name>_<version>_<arch>.deb): %s' % ', '.join(files))
    try:
        shown = _debs_host.installed_versions(module, [_debs.deb_name(f)[0] for f in files])
    except _debs_host.HostError as e:
        module.fail_json(msg=str(e))
    todo = _debs.debs_to_install(shown, [os.path.basename(f) for f in files])
    if not todo:
        works(module, host)
        module.exit_json(changed=False, installed=[])
    names = ' and '.join(os.path.basename(f) for f in files)
    diff = {'before': _debs.versions_text(shown, [_debs.deb_name(f)[0] for f in files]),
            'after': ''.join('%s %s\n' % _debs.deb_name(f)[:2] for f in files)}
    if module.check_mode:
        module.exit_json(changed=True, installed=[], msg='Would install %s.' % names, diff=diff)
    if not p['remote_src']:
        module.exit_json(changed=False, needs_files=True)
    if not os.path.isdir(p['dest']):
        os.makedirs(p['dest'], 0o755)
    kept = []
    for f in files:
        path = os.path.join(p['dest'], os.path.basename(f))
        shutil.copyfile(f, path)
        os.chmod(path, 0o644)
        kept.append(path)
    trial(module, kept, host)
    try:
        _debs_host.apt_install(module, kept, update=False, downgrades=True)
    except _debs_host.HostError as e:
        module.fail_json(msg=str(e))
    works(module, host)
    module.exit_json(changed=True, installed=[os.path.basename(f) for f in kept],
                     msg='Installed %s.' % names, diff=diff)


def trial(module, debs, host):
    """Run import_check with the packages unpacked aside: refuse before installing."""
    root = tempfile.mkdtemp(prefix='oar3-trial-')
    try:
        for deb in debs:
            rc, out, err = module.run_command(['dpkg-deb', '-x', deb, root])
            if rc != 0:
                module.fail_json(msg='%s cannot be unpacked: %s' % (deb, _debs_host.last_line(err)))
        rc, out, err = module.run_command(
            ['python3', '-c', 'import sys; sys.path[:0] = [sys.argv[1]]\n' + module.params['import_check'],
             os.path.join(root, 'usr/lib/python3/dist-packages')])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if rc != 0:
        module.fail_json(msg="%s cannot run on %s (%s), nothing was installed: '%s' fails with %s. OAR3 3.0.2 and "
                         "later need SQLAlchemy 2 (Debian 13); on Debian 12 use 3.0.1. A missing module means the "
                         "oar.oar3.dependencies role has not run."
                         % (os.path.basename(debs[1]), host, os_name(), module.params['import_check'],
                            _debs_host.last_line(err)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type='list', elements='str', default=[]),
            pair=dict(type='dict', default={}),
            install=dict(type='bool', default=True),
            dest=dict(type='path', default='/var/cache/oar3-debs'),
            import_check=dict(type='str', default='import oar.kao.kamelot, oar.kao.kao'),
            scripts=dict(type='list', elements='path', default=['/usr/lib/oar/kamelot', '/usr/lib/oar/kao']),
            cache_valid_time=dict(type='int', default=3600),
            query=dict(type='bool', default=False),
            remote_src=dict(type='bool', default=False),
            host=dict(type='str', default=''),
        ),
        mutually_exclusive=[('packages', 'pair')],
        supports_check_mode=True,
    )
    if module.params['pair']:
        pair(module)
    packages(module)


if __name__ == '__main__':
    main()
