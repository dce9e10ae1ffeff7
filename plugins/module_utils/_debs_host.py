# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt and dpkg on a managed host, through AnsibleModule.run_command.

Private to the collection. Shared by oar_deb_install and oar_deb_build: one
apt transaction for what dpkg-query shows missing, none when nothing is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.oar.oar3.plugins.module_utils import _debs

APT_ENV = {'DEBIAN_FRONTEND': 'noninteractive', 'LC_ALL': 'C'}
APT_GET = ['apt-get', '-y', '-q', '--no-install-recommends',
           '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']
# Where apt records its last successful update (the apt module reads the same).
APT_STAMPS = ['/var/lib/apt/periodic/update-success-stamp', '/var/lib/apt/lists']


class HostError(Exception):
    pass


def _last_line(text, default='no output'):
    """What a failed command said: its error lines (git's fatal:/error:, apt's
    E:), which say why, where the last line alone may not (git ends with
    "and the repository exists."); else its last line."""
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(('fatal:', 'error:', 'E: ', 'dpkg: error'))]
    if errors:
        return ' | '.join(errors)
    return lines[-1] if lines else default


def missing(module, names):
    """The packages of `names` that dpkg does not show installed."""
    if not names:
        return []
    rc, out, err = module.run_command(['dpkg-query', '--show', '--showformat=${Package} ${db:Status-Status}\n']
                                      + list(names), environ_update=APT_ENV)
    if rc not in (0, 1):  # 1: some package unknown to dpkg
        raise HostError('dpkg-query failed: %s' % _last_line(err))
    return _debs.missing_packages(out, names)


def installed_versions(module, names):
    rc, out, err = module.run_command(
        ['dpkg-query', '--show', '--showformat=${Package} ${db:Status-Status} ${Version}\n'] + list(names),
        environ_update=APT_ENV)
    if rc not in (0, 1):
        raise HostError('dpkg-query failed: %s' % _last_line(err))
    return out


def _cache_mtime():
    for path in APT_STAMPS:
        if os.path.exists(path):
            return os.stat(path).st_mtime
    return None


def _apt(module, argv, lock_wait):
    """Run apt-get, waiting up to lock_wait seconds while another apt or dpkg holds a lock."""
    deadline = time.time() + lock_wait
    while True:
        rc, out, err = module.run_command(argv, environ_update=APT_ENV)
        if rc == 0 or not _debs.apt_lock_busy(err) or time.time() > deadline:
            return rc, out, err
        time.sleep(2)


def _update(module, lock_wait):
    rc, out, err = _apt(module, ['apt-get', '-q', 'update'], lock_wait)
    if rc != 0:
        raise HostError('apt-get update failed: %s' % _last_line(err or out))


def apt_install(module, targets, cache_valid_time=3600, update=True, downgrades=False, lock_wait=600):
    """One apt transaction for `targets` (names, or paths of .deb files),
    after updating the package lists when older than cache_valid_time."""
    updated = update and not _debs.cache_is_fresh(_cache_mtime(), time.time(), cache_valid_time)
    if updated:
        _update(module, lock_wait)
    argv = APT_GET + (['--allow-downgrades'] if downgrades else []) + ['install'] + list(targets)
    rc, out, err = _apt(module, argv, lock_wait)
    if rc != 0 and update and not updated and _debs.lists_lack_package(err or out):
        # Fresh by their time only: update once and try again.
        _update(module, lock_wait)
        rc, out, err = _apt(module, argv, lock_wait)
    if rc != 0:
        names = ' '.join(os.path.basename(t) for t in targets)
        raise HostError('apt-get install %s failed: %s' % (names, _last_line(err or out)))
    return out


def last_line(text, default='no output'):
    return _last_line(text, default)


def run_apt(module, argv, lock_wait=600):
    """An apt-get command line, waiting while another apt holds a lock."""
    return _apt(module, argv, lock_wait)
