# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oar.oar3.oar_dependencies: the dependencies role's work in one task.

Decides and checks the OAR3 release on the controller (no round trip), then
has oar.oar3.oar_deb_install install what the server lacks in one apt
transaction, build dependencies included when the server builds its own
packages. With the task's `async`, the install runs in the background (only
when something is missing: a server that has everything answers at once).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.oar.oar3.plugins.module_utils import _debs

MODULE = 'oar.oar3.oar_deb_install'


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        facts = task_vars.get('ansible_facts', {})
        try:
            version = _debs.decide_release(args.get('version'), facts)
        except _debs.DebsError as e:
            raise AnsibleActionFail(to_text(e))
        done = {'oar3_dependencies_version': version}
        if args.get('done_key'):
            done['__oar3_dependencies_done'] = args['done_key']
        if not boolean(args.get('install', True)):
            result.update(changed=False, ansible_facts=done, version=version)
            return result
        wanted = list(args.get('packages') or [])
        builds = boolean(args.get('for_debs', False)) and self._builds_self(task_vars, facts.get('distribution_release'))
        if builds:
            wanted += [p for p in _debs.BUILD_PACKAGES if p not in wanted]
        module_args = dict(packages=wanted, cache_valid_time=int(args.get('cache_valid_time', 3600)))
        # Never in the background on a server that builds for itself: its build needs them.
        wrap_async = bool(self._task.async_val) and not self._task.check_mode and not builds
        try:
            if wrap_async:
                query = self._execute_module(module_name=MODULE, module_args=dict(module_args, query=True),
                                             task_vars=task_vars)
                if query.get('failed') or not query.get('missing'):
                    wrap_async = False
                    out = query
                else:
                    out = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars,
                                               wrap_async=True)
            else:
                out = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(out)
        result.update(version=version, builds_self=builds)
        if not out.get('failed'):
            result['ansible_facts'] = done
        return result

    def _builds_self(self, task_vars, codename):
        """Whether this server builds its own packages in the debs role: no
        build host of its release. When a build host's release is not known
        yet, say no: the build then installs what it lacks itself."""
        hostvars = task_vars['hostvars']
        if self._templar.template(task_vars.get('oar3_debs_method', 'source')) != 'source':
            return False
        group = self._templar.template(task_vars.get('oar3_builders_group')) or 'oar3_builders'
        builders = []
        for name in task_vars.get('groups', {}).get(group, []):
            release = hostvars[name].get('ansible_facts', {}).get('distribution_release') if name in hostvars else None
            if not release:
                return False
            builders.append((name, release))
        batch = [(h, hostvars[h].get('ansible_facts', {}).get('distribution_release'))
                 for h in task_vars.get('ansible_play_batch', [])]
        return _debs.builds_self(task_vars['inventory_hostname'], codename, batch, builders)
