# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oar.oar3.oar_deb_install.

With a pair of .deb files on the controller: ask the host first (one round
trip, which is all a host that has them needs), copy the files only when
they are to be installed, then install. Nothing on the controller uses
become; the module on the host does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

MODULE = 'oar.oar3.oar_deb_install'


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False  # the remote tmp directory is made only when a file must go

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        pair = args.get('pair') or {}
        host = task_vars.get('inventory_hostname', '')
        if not args.get('packages') and not boolean(args.get('install', True)):
            result.update(changed=False, ansible_facts={'oar3_debs_pair': pair} if pair else {})
            return result
        if not args.get('packages') and not pair:
            if self._task.check_mode:
                result.update(changed=True, msg='Would install python3-procset and python3-oar once they are built.')
            else:
                first = (task_vars.get('ansible_play_batch') or [host])[0]
                result.update(failed=True, msg='No python3-oar/python3-procset pair was collected for this server: '
                              'see the errors of %s, which builds and collects for the whole batch.' % first)
            return result
        args.setdefault('host', host)
        try:
            out = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            if out.get('needs_files'):
                tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
                remote = {}
                for name in ('procset', 'oar'):
                    remote[name] = self._connection._shell.join_path(tmpdir, os.path.basename(pair[name]))
                    self._transfer_file(pair[name], remote[name])
                self._fixup_perms2([tmpdir] + list(remote.values()))
                out = self._execute_module(module_name=MODULE, task_vars=task_vars,
                                           module_args=dict(args, pair=remote, remote_src=True))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(out)
        if pair and not out.get('failed'):
            result['ansible_facts'] = {'oar3_debs_pair': pair}
        return result
