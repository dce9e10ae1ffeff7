#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_deb_build
short_description: Build python3-procset and python3-oar at once on a build host
version_added: 0.2.0
description:
  - Used by the C(oar.oar3.debs) role on the build host of a Debian release, once per batch. Its action plugin
    copies the source archives the build needs from the controller, runs this module, then keeps the built
    C(.deb) files and their build indexes in the controller's store (O(store)).
  - Resolves a git source's reference with C(git ls-remote) first; when the controller already holds the
    build of that commit (O(done)), nothing is built and nothing is installed.
  - Otherwise installs what O(packages) lacks in one apt transaction (none when C(dpkg-query) shows nothing
    missing), prepares each source (git checkout or archive), writes the collection's minimal pybuild
    packaging (or, for the C(upstream) method, uses the source's own C(debian/) and C(apt-get build-dep)),
    then starts every C(dpkg-buildpackage) at once and waits for all of them.
  - Build directories are removed after a successful build and kept for inspection after a failed one.
author:
  - oar.oar3 developers (@oar-team)
options:
  builds:
    description:
      - The packages to build, as the C(oar.oar3.oar_debs_store) action plans them.
      - Each has C(binary), C(source_name), C(method) (V(pybuild) or V(upstream)), C(key) (empty for a git
        source until resolved), C(kind) (V(git) or V(archive)), C(location) (repository, or archive path on the
        build host), C(ref), C(tag), C(origin), C(version_file), C(version_regex), C(fingerprint),
        C(scripts_dir), C(depends) and C(description).
    type: list
    elements: dict
    required: true
  done:
    description: The builds the controller already holds, as C(<binary>-<key>); these are not built again.
    type: list
    elements: str
    default: []
  root:
    description: Scratch directory on the build host; each build gets C(<binary>-<key>/) under it.
    type: path
    default: /var/tmp/oar3-build
  major:
    description: Debian major version of the build host, for the package version (C(<upstream>-0oar3~deb<major>)).
    type: str
    required: true
  maintainer:
    description: Maintainer field of the packaging.
    type: str
    default: oar.oar3 Ansible collection <root@localhost>
  packages:
    description: Build dependencies to have installed before building.
    type: list
    elements: str
    default: []
  cache_valid_time:
    description: Seconds for which the apt package lists count as fresh.
    type: int
    default: 3600
  host:
    description: The build host's inventory name, for messages.
    type: str
    default: ""
  store:
    description:
      - The controller directory that keeps the builds (set by the debs role, used by the action plugin only).
    type: str
    default: ""
  codename:
    description: Debian codename of the build host; the built C(.deb) files go to O(store)C(/<codename>/).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Resolves the source and says what it would install and build; builds nothing.
  diff_mode:
    support: none
    description: Changes nothing that a diff could show on the host (the build directories are scratch).
  action:
    support: full
    description: An action plugin of the same name runs on the controller first.
notes:
  - Needs root on the build host (C(become)) to install build dependencies.
"""

EXAMPLES = r"""
- name: Build what the store lacks on the build host
  oar.oar3.oar_deb_build:
    builds: "{{ job.builds }}"
    done: "{{ job.done }}"
    major: "12"
    codename: bookworm
    store: /home/me/.cache/oar.oar3/debs
  delegate_to: builder-deb12
"""

RETURN = r"""
built:
  description: The binary packages built by this run.
  returned: always
  type: list
  elements: str
  sample: [python3-procset, python3-oar]
build_keys:
  description: The build key of each package (C(<method>-<source id>)), the name of its index in the store.
  returned: success
  type: dict
  sample: {python3-oar: pybuild-6a1f0c2d9e3b, python3-procset: pybuild-10921a4fe902}
origins:
  description: Where each package was built from.
  returned: success
  type: dict
build_times:
  description: When each C(dpkg-buildpackage) started and ended (seconds since the epoch, on the build host).
  returned: when something was built
  type: dict
  sample: {python3-oar: [1796304661.1, 1796304670.4], python3-procset: [1796304661.1, 1796304668.0]}
msgs:
  description: What check mode would install and build.
  returned: check mode
  type: list
  elements: str
debs:
  description: The built files, handed to the action plugin (which removes this key from the result).
  returned: when something was built
  type: list
  elements: dict
"""

import base64
import glob
import os
import shutil
import threading
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oar.oar3.plugins.module_utils import _debs, _debs_host

GIT_ENV = {'GIT_TERMINAL_PROMPT': '0', 'LC_ALL': 'C'}


class Builder:

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.host = self.p['host'] or 'the build host'
        self.times = {}

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, **extra)

    def run(self, argv, what, cwd=None, env=None):
        rc, out, err = self.module.run_command(argv, cwd=cwd, environ_update=env)
        if rc != 0:
            self.fail('%s failed on %s: %s' % (what, self.host, _debs_host.last_line(err or out)))
        return out

    # ------------------------------------------------------------ steps

    def resolve(self, build):
        """Fill in a git build's commit, key and fingerprint."""
        ref, repo = build['ref'], build['location']
        if _debs.COMMIT_RE.match(ref):
            commit, tag = ref, ''
        else:
            rc, out, err = self.module.run_command(['git', 'ls-remote', '--', repo, ref], environ_update=GIT_ENV)
            if rc != 0:
                self.fail('Cannot read the OAR3 repository oar3_source_repo=%s from %s: %s'
                          % (repo, self.host, _debs_host.last_line(err)))
            try:
                commit, tag = _debs.resolve_ref(out, ref, repo)
            except _debs.DebsError as e:
                self.fail(str(e))
        build.update(commit=commit, tag=tag, key=_debs.build_key(build['method'], commit),
                     fingerprint='+g' + commit[:7], origin='%s %s (%s)' % (repo, ref, commit[:12]))

    def install_packages(self):
        try:
            wanted = _debs_host.missing(self.module, self.p['packages'])
            if wanted:
                _debs_host.apt_install(self.module, wanted, self.p['cache_valid_time'])
        except _debs_host.HostError as e:
            self.fail('Installing the build dependencies on %s: %s' % (self.host, e))
        return wanted

    def prepare(self, build):
        top = os.path.join(self.p['root'], '%s-%s' % (build['binary'], build['key']))
        src = os.path.join(top, 'src')
        if os.path.lexists(top):
            shutil.rmtree(top) if os.path.isdir(top) and not os.path.islink(top) else os.unlink(top)
        os.makedirs(src, 0o755)
        if build['kind'] == 'git':
            self.run(['git', 'clone', '--quiet', '--no-checkout', '--', build['location'], src],
                     'git clone of %s' % build['location'], env=GIT_ENV)
            self.run(['git', '-c', 'advice.detachedHead=false', 'checkout', '--quiet', build['commit']],
                     'git checkout of %s' % build['commit'], cwd=src, env=GIT_ENV)
            # The last release tag before the commit and the commits since:
            # where a development build's version sorts (none: no release tag).
            rc, out, err = self.module.run_command(['git', 'describe', '--tags', '--long', '--match', '[0-9]*'],
                                                   cwd=src, environ_update=GIT_ENV)
            build['describe'] = out.strip() if rc == 0 else ''
        else:
            self.run(['tar', '-x', '-f', build['location'], '-C', src, '--strip-components=1', '--no-same-owner'],
                     'Unpacking %s' % build['origin'])
        build['top'], build['src'] = top, src
        if build['method'] == 'pybuild':
            self.write_packaging(build)
        elif not os.path.isfile(os.path.join(src, 'debian', 'changelog')):
            self.fail('%s has no debian/ directory: the upstream build method needs upstream\'s packaging branch '
                      '(oar3_source_packaging_branch, debian/3.0; bullseye/3.0 for Debian 11) or a commit of it '
                      'in oar3_source_version.' % build['origin'])

    def write_packaging(self, build):
        try:
            with open(os.path.join(build['src'], build['version_file'])) as f:
                text = f.read()
        except (IOError, OSError):
            text = ''
        found = _debs.upstream_version(text, build['version_regex'])
        upstream, version = _debs.package_version(build.get('tag', ''), found, build.get('fingerprint', ''),
                                                  self.p['major'], build.get('describe', ''))
        if not upstream:
            self.fail('%s has no version in %s: is it the OAR3 (or procset) source?'
                      % (build['origin'], build['version_file']))
        pkg = dict(build, version=version)
        date = time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())
        debian = os.path.join(build['src'], 'debian')
        if os.path.islink(debian) or os.path.isfile(debian):
            os.unlink(debian)
        elif os.path.isdir(debian):
            shutil.rmtree(debian)
        for name, text in _debs.packaging_files(pkg, self.p['maintainer'], date).items():
            path = os.path.join(debian, name)
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path), 0o755)
            with open(path, 'w') as f:
                f.write(text)
            os.chmod(path, 0o755 if name == 'rules' else 0o644)

    def build_all(self, builds):
        """Every dpkg-buildpackage at once; wait for all of them."""
        outcomes = {}

        def one(build):
            start = time.time()
            rc, out, err = self.module.run_command(['dpkg-buildpackage', '-b', '-uc', '-us'], cwd=build['src'],
                                                   environ_update={'LC_ALL': 'C.UTF-8'})
            self.times[build['binary']] = [round(start, 3), round(time.time(), 3)]
            with open(os.path.join(build['top'], 'build.log'), 'w') as log:
                log.write(out + err)
            outcomes[build['binary']] = (rc, (out + err).splitlines()[-30:])

        threads = [threading.Thread(target=one, args=(b,)) for b in builds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for build in builds:
            rc, tail = outcomes[build['binary']]
            if rc != 0:
                self.fail('dpkg-buildpackage of %s failed on %s, last lines of %s/build.log:\n%s'
                          % (build['origin'], self.host, build['top'], '\n'.join(tail)))

    def collect(self, build):
        found = glob.glob(os.path.join(build['top'], '%s_*.deb' % build['binary']))
        if len(found) != 1:
            self.fail('dpkg-buildpackage of %s on %s produced %d %s packages instead of one.'
                      % (build['origin'], self.host, len(found), build['binary']))
        with open(found[0], 'rb') as f:
            content = base64.b64encode(f.read()).decode()
        return {'binary': build['binary'], 'key': build['key'], 'file': os.path.basename(found[0]),
                'content': content}

    # -------------------------------------------------------------- main

    def main(self):
        builds = [dict(b) for b in self.p['builds']]
        result = {'changed': False, 'built': [], 'msgs': []}
        git = [b for b in builds if b['kind'] == 'git']
        if git and not self.module.get_bin_path('git'):
            if self.module.check_mode:
                refs = ', '.join('%s of %s' % (b['ref'], b['location']) for b in git)
                result.update(changed=True, msgs=[
                    'Would install the build dependencies on %s, then build %s (%s) there.'
                    % (self.host, ' and '.join(b['binary'] for b in builds), refs)])
                self.module.exit_json(**result)
            result['installed'] = self.install_packages()
        for build in git:
            self.resolve(build)
        todo = [b for b in builds if '%s-%s' % (b['binary'], b['key']) not in self.p['done']]
        result['build_keys'] = dict((b['binary'], b['key']) for b in builds)
        result['origins'] = dict((b['binary'], b['origin']) for b in builds)
        if not todo:
            self.module.exit_json(**result)
        if self.module.check_mode:
            result.update(changed=True, msgs=['Would build %s from %s on %s.' % (b['binary'], b['origin'], self.host)
                                              for b in todo])
            self.module.exit_json(**result)
        result['installed'] = result.get('installed') or self.install_packages()
        for build in todo:
            self.prepare(build)
        for build in todo:
            if build['method'] == 'upstream':
                rc, out, err = _debs_host.run_apt(self.module, ['apt-get', 'build-dep', '--yes',
                                                                '--no-install-recommends', build['src']])
                if rc != 0:
                    self.fail('apt-get build-dep failed on %s: %s' % (self.host, _debs_host.last_line(err or out)))
        self.build_all(todo)
        result['debs'] = [self.collect(b) for b in todo]
        for build in todo:
            shutil.rmtree(build['top'], ignore_errors=True)
        result.update(changed=True, built=[b['binary'] for b in todo], build_times=self.times)
        self.module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            builds=dict(type='list', elements='dict', required=True),
            done=dict(type='list', elements='str', default=[]),
            root=dict(type='path', default='/var/tmp/oar3-build'),
            major=dict(type='str', required=True),
            maintainer=dict(type='str', default='oar.oar3 Ansible collection <root@localhost>'),
            packages=dict(type='list', elements='str', default=[]),
            cache_valid_time=dict(type='int', default=3600),
            host=dict(type='str', default=''),
            store=dict(type='str', default=''),
            codename=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    Builder(module).main()


if __name__ == '__main__':
    main()
