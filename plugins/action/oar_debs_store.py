# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oar.oar3.oar_debs_store: the debs role's controller store.

Runs once per batch, entirely on the controller, as the controller's user
(no module, no become): it reads every server's variables, and returns each
server's python3-procset/python3-oar pair when the store can give it, and
the builds the build hosts must make otherwise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tarfile
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase

from ansible_collections.oar.oar3.plugins.module_utils import _debs


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        try:
            store = _debs.Store(_debs.store_root(args.get('dir') or '', os.environ, os.path.expanduser('~')))
            jobs, hosts = self._jobs(task_vars)
            builders = self._builders(args.get('builders') or [], task_vars)
            plan = self._plan(store, jobs, hosts, builders, args, task_vars)
        except _debs.DebsError as e:
            raise AnsibleActionFail(to_text(e))
        result.update(plan)
        result.update(changed=False, store=store.root)
        return result

    # ------------------------------------------------------------ inputs

    def _jobs(self, task_vars):
        """{job id: job} and {host: job id} for every server of the batch."""
        me = task_vars['inventory_hostname']
        hostvars = task_vars['hostvars']
        role = self._task._role
        defaults = self._templar.template(role.get_default_vars()) if role else {}
        own = dict((name, self._templar.template(task_vars.get(name))) for name in _debs.JOB_VARS)
        own_hv = hostvars[me]
        jobs, hosts = {}, {}
        for host in task_vars['ansible_play_batch']:
            hv = hostvars[host]
            if host == me:
                values = own
            else:
                values = {}
                for name in _debs.JOB_VARS:
                    if name in defaults:
                        values[name] = _debs.host_value(own[name], own_hv, hv, name, defaults[name])
                    else:
                        values[name] = _debs.host_value(own[name], own_hv, hv, name)
            job = _debs.describe_job(values, hv.get('ansible_facts', {}))
            key = _debs.job_id(job)
            jobs[key] = job
            hosts[host] = key
        return jobs, hosts

    @staticmethod
    def _builders(names, task_vars):
        """(name, codename) of the build hosts whose Debian release is known."""
        hostvars = task_vars['hostvars']
        found = []
        for name in names:
            release = hostvars[name].get('ansible_facts', {}).get('distribution_release') if name in hostvars else None
            if release:
                found.append((name, release))
        return found

    # -------------------------------------------------------------- plan

    def _plan(self, store, jobs, hosts, builders, args, task_vars):
        hostvars = task_vars['hostvars']
        servers = [(h, hostvars[h].get('ansible_facts', {}).get('distribution_release')) for h in hosts]
        pairs, builds = {}, []
        for key in sorted(jobs):
            job = jobs[key]
            members = [h for h in hosts if hosts[h] == key]
            if job['method'] == 'prebuilt':
                pair = self._prebuilt(store, job)
            else:
                builder = _debs.choose_builder(job['codename'], builders, servers)
                pair, build = self._source(store, job, builder, args)
                if build:
                    build.update(id=key, hosts=members)
                    builds.append(build)
            for host in members:
                if pair:
                    pairs[host] = pair
        return {'pairs': pairs, 'builds': builds, 'hosts': hosts}

    def _prebuilt(self, store, job):
        paths = []
        for item in job['prebuilt']:
            path, sha = self._controller_file(store, item['src'], item['sha256'], 'downloads',
                                              'oar3_debs_prebuilt', 'oar3_debs_prebuilt')
            if path.endswith('.deb'):
                paths.append(path)
            else:
                paths.extend(self._unpacked(store, path, sha))
        return _debs.pick_pair(paths, [i['src'] for i in job['prebuilt']])

    def _source(self, store, job, builder, args):
        procset, procset_sha = self._controller_file(store, job['procset'], job['procset_sha256'], 'sources',
                                                     'oar3_procset_source', 'oar3_procset_sha256')
        if job['path']:
            source = self._source_path(store, job['path'])
        else:
            source = {'kind': 'git', 'location': job['repo'], 'ref': job['ref'], 'id': '', 'tag': '',
                      'origin': '%s %s' % (job['repo'], job['ref'])}
        wanted = _debs.source_builds(job, source, procset_sha, procset)
        done = store.done(job['codename'])
        pair = {}
        for build in wanted:
            if build['key'] and '%s-%s' % (build['binary'], build['key']) in done:
                deb = _debs.read_index(store.index(job['codename'], build['binary'], build['key']))
                pair[build['binary'].replace('python3-', '')] = deb
        if len(pair) == len(wanted):
            return pair, None
        upstream = list(args.get('upstream_packages') or []) if job['build_method'] == 'upstream' else []
        return None, {
            'builder': builder, 'codename': job['codename'], 'major': job['major'], 'store': store.root,
            'builds': wanted, 'done': done, 'root': args.get('build_root') or '/var/tmp/oar3-build',
            'maintainer': args.get('maintainer') or '', 'packages': _debs.BUILD_PACKAGES + upstream,
            'ref': job['ref'], 'repo': job['repo'],
        }

    def _source_path(self, store, path):
        full = os.path.expanduser(path)
        if os.path.isdir(full):
            fingerprint = _debs.tree_fingerprint(full)
            packed = store.packed_source(fingerprint)
            if not os.path.isfile(packed):
                _makedirs(store.sources)
                fd, part = tempfile.mkstemp(dir=store.sources, suffix='.part')
                os.close(fd)
                with tarfile.open(part, 'w:gz') as tar:
                    tar.add(full, arcname='.', filter=_without_git)
                os.chmod(part, 0o644)
                os.rename(part, packed)
            return {'kind': 'archive', 'location': packed, 'id': fingerprint, 'tag': '',
                    'origin': '%s (%s)' % (path, fingerprint[:12])}
        if os.path.isfile(full):
            sha = _debs.sha256_file(full)
            return {'kind': 'archive', 'location': full, 'id': sha, 'tag': '', 'origin': '%s (%s)' % (path, sha[:12])}
        raise _debs.DebsError('oar3_source_path=%s is neither a directory nor a file on the controller.' % path)

    # --------------------------------------------------------- the files

    def _controller_file(self, store, src, sha256, subdir, src_var, sha_var):
        """A controller path holding `src` (downloaded into the store when it
        is a URL, fetched again when the copy there does not match), and its
        sha256; refusals name the variables."""
        if not _debs.is_url(src):
            path = os.path.expanduser(src)
            if not os.path.isfile(path):
                raise _debs.DebsError('%s: %s is not a file on the controller.' % (src_var, src))
            return path, _debs.check_sha256(path, sha256, src, sha_var)
        dest = store.download(src, subdir)
        if os.path.isfile(dest):
            try:
                return dest, _debs.check_sha256(dest, sha256, src, sha_var)
            except _debs.DebsError:
                pass  # a corrupt or older download: fetched again below
        _makedirs(os.path.dirname(dest))
        fd, part = tempfile.mkstemp(dir=os.path.dirname(dest), suffix='.part')
        try:
            with os.fdopen(fd, 'wb') as out:
                response = open_url(src, timeout=60, http_agent='oar.oar3')
                shutil.copyfileobj(response, out)
            sha = _debs.check_sha256(part, sha256, src, sha_var)
            os.chmod(part, 0o644)
            os.rename(part, dest)
        except _debs.DebsError:
            raise
        except Exception as e:  # urllib's and the socket's errors, many kinds
            raise _debs.DebsError('%s: cannot download %s: %s' % (src_var, src, to_text(e)))
        finally:
            if os.path.exists(part):
                os.unlink(part)
        return dest, sha

    @staticmethod
    def _unpacked(store, tarball, sha):
        """The .deb files of a release tarball, unpacked once into the store."""
        top = store.prebuilt(sha)
        if not os.path.isdir(top):
            _makedirs(os.path.dirname(top))
            work = tempfile.mkdtemp(dir=os.path.dirname(top), prefix='.unpack-')
            try:
                with tarfile.open(tarball) as tar:
                    if hasattr(tarfile, 'data_filter'):
                        tar.extractall(work, filter='data')
                    else:  # Python before 3.8.17/3.11.4: refuse what leaves the directory
                        for member in tar.getmembers():
                            if member.name.startswith('/') or '..' in member.name.split('/') or \
                                    not (member.isfile() or member.isdir()):
                                raise _debs.DebsError('%s: unsafe member %s' % (tarball, member.name))
                        tar.extractall(work)
            except (tarfile.TarError, OSError) as e:
                shutil.rmtree(work, ignore_errors=True)
                raise _debs.DebsError('oar3_debs_prebuilt: %s is neither a .deb file nor a readable tarball: %s'
                                      % (tarball, to_text(e)))
            os.chmod(work, 0o755)
            os.rename(work, top)
        found = []
        for dirpath, _dirs, files in os.walk(top):
            found.extend(os.path.join(dirpath, f) for f in files if f.endswith('.deb'))
        return sorted(found)


def _without_git(member):
    return None if member.name == './.git' or member.name.startswith('./.git/') else member


def _makedirs(path):
    if not os.path.isdir(path):
        os.makedirs(path, 0o755)
