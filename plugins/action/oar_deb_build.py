# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oar.oar3.oar_deb_build.

Takes one build job as oar_debs_store planned it (option `job`), copies the
source archives the build host needs, runs the module there (delegate_to the
build host), and keeps what it built in the controller's store: the .deb
files and one index per build. The controller side runs as the controller's
user; only the module on the build host uses become.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.oar.oar3.plugins.module_utils import _debs

MODULE = 'oar.oar3.oar_deb_build'


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False  # the remote tmp directory is made only when a file must go

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        job = self._task.args.get('job')
        if not isinstance(job, dict):
            raise AnsibleActionFail('oar_deb_build takes one build job as oar_debs_store plans it (option job).')
        store = _debs.Store(job['store'])
        builds = [dict(b) for b in job['builds']]
        try:
            if not self._task.check_mode:
                self._send_archives(builds, job['done'])
            args = dict(builds=builds, done=job['done'], root=job['root'], major=job['major'],
                        maintainer=job['maintainer'], packages=job['packages'], host=job['builder'],
                        store=job['store'], codename=job['codename'])
            out = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        debs = out.pop('debs', None) or []
        result.update(out)
        if out.get('failed') or out.get('msgs'):
            return result
        for deb in debs:
            self._keep(store, job, deb, out['origins'][deb['binary']], builds)
        pair = {}
        for binary, key in out.get('build_keys', {}).items():
            path = _debs.read_index(store.index(job['codename'], binary, key))
            if not path:
                raise AnsibleActionFail('The store %s has no build of %s %s (index %s).'
                                        % (store.root, binary, key, store.index(job['codename'], binary, key)))
            pair[binary.replace('python3-', '')] = path
        result['pairs'] = dict((host, pair) for host in job['hosts'])
        result['job'] = job['id']
        return result

    def _send_archives(self, builds, done):
        """Copy to the build host each archive source of a build still to make."""
        for build in builds:
            if build['kind'] != 'archive' or '%s-%s' % (build['binary'], build['key']) in done:
                continue
            tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
            remote = self._connection._shell.join_path(tmpdir, '%s-%s.tar' % (build['binary'], build['key']))
            self._transfer_file(build['location'], remote)
            self._fixup_perms2((tmpdir, remote))
            build['location'] = remote

    @staticmethod
    def _keep(store, job, deb, origin, builds):
        method = [b['method'] for b in builds if b['binary'] == deb['binary']][0]
        out_dir = store.debs(job['codename'])
        index = store.index(job['codename'], deb['binary'], deb['key'])
        for path in (out_dir, os.path.dirname(index)):
            if not os.path.isdir(path):
                os.makedirs(path, 0o755)
        _write(os.path.join(out_dir, os.path.basename(deb['file'])), base64.b64decode(deb['content']))
        _write(index, _debs.index_record(os.path.basename(deb['file']), origin, method, job['builder']).encode())


def _write(path, data):
    """Write a whole file or nothing (a file in the store is never half written)."""
    fd, part = tempfile.mkstemp(dir=os.path.dirname(path), suffix='.part')
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.chmod(part, 0o644)
    os.rename(part, path)
