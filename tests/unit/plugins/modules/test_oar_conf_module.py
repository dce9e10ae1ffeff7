# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The oar_conf module's file handling, on real files: runs the module in-process (and once as a process)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oar.oar3.plugins.modules import oar_conf

CONF = ('# OAR\n'
        'DB_HOSTNAME="db"\n'
        'DB_BASE_PASSWD="0ld-s3cret"\n'
        '#META_SCHED_CMD="oar_meta_sched"\n'
        'LOG_LEVEL="2"\n')
SECRETS = ['0ld-s3cret', 'n3w-s3cret']
OLD_TIME = 1_500_000_000  # mtime set on the fixture file, so a rewrite is visible
UID, GID = 1234, 5678  # oar:root on a real server; any ids here


@pytest.fixture(autouse=True)
def module_log(monkeypatch):
    """What the module would send to the journal; also keeps the host's journal clean."""
    messages = []
    monkeypatch.setattr(basic.AnsibleModule, 'log', lambda self, msg, log_args=None: messages.append(msg))
    monkeypatch.setattr(ansible_warnings, '_global_warnings', {})  # one module run per process normally
    return messages


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'etc' / 'oar.conf'
    path.parent.mkdir()
    path.write_text(CONF)
    os.chown(path, UID, GID)
    os.chmod(path, 0o640)
    os.utime(path, (OLD_TIME, OLD_TIME))
    return path


def run_raw(capsys, **args):
    """Run the module in-process: (exit code, its JSON output)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            oar_conf.main()
    return exited.value.code, capsys.readouterr().out


def run(capsys, **args):
    """Run the module in-process: (exit code, result)."""
    code, out = run_raw(capsys, **args)
    return code, json.loads(out)


def assert_untouched(path, before):
    after = os.stat(path)
    assert path.read_text() == CONF
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_change_is_written_atomically_keeping_owner_and_mode(capsys, conf):
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf), settings={'META_SCHED_CMD': 'kao', 'LOG_LEVEL': 3})
    assert code == 0
    assert result['changed'] is True
    assert result['changed_keys'] == ['LOG_LEVEL', 'META_SCHED_CMD']
    assert result['previous'] == {'META_SCHED_CMD': None, 'LOG_LEVEL': '2'}
    assert result['collapsed_keys'] == []
    assert 'backup_file' not in result and 'diff' not in result
    assert conf.read_text() == ('# OAR\n'
                                'DB_HOSTNAME="db"\n'
                                'DB_BASE_PASSWD="0ld-s3cret"\n'
                                '#META_SCHED_CMD="oar_meta_sched"\n'
                                'META_SCHED_CMD="kao"\n'
                                'LOG_LEVEL="3"\n')
    after = os.stat(conf)
    assert (after.st_uid, after.st_gid, oct(after.st_mode)) == (UID, GID, oct(before.st_mode))
    assert after.st_ino != before.st_ino  # replaced by rename, never rewritten in place
    assert after.st_mtime > OLD_TIME
    assert os.listdir(conf.parent) == ['oar.conf']  # no temporary file left


def test_set_uid_bits_and_odd_modes_are_kept(capsys, conf):
    os.chmod(conf, 0o2604)
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3})
    assert (code, result['changed']) == (0, True)
    assert oct(os.stat(conf).st_mode & 0o7777) == oct(0o2604)


def test_nothing_to_change_writes_nothing(capsys, conf):
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': '2', 'DB_HOSTNAME': 'db'},
                       absent=['META_SCHED_CMD'], backup=True)
    assert code == 0
    assert result['changed'] is False and result['changed_keys'] == []
    assert 'backup_file' not in result
    assert_untouched(conf, before)
    assert os.listdir(conf.parent) == ['oar.conf']


def test_empty_request_is_no_change(capsys, conf):
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf))
    assert (code, result['changed'], result['previous']) == (0, False, {})
    assert_untouched(conf, before)


def test_check_mode_writes_nothing_and_reports_the_diff(capsys, conf):
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, absent=['DB_HOSTNAME'],
                       backup=True, _ansible_check_mode=True, _ansible_diff=True)
    assert code == 0
    assert result['changed'] is True and result['changed_keys'] == ['DB_HOSTNAME', 'LOG_LEVEL']
    assert 'backup_file' not in result
    assert result['diff'] == {
        'before': CONF.replace('0ld-s3cret', '********'),
        'after': CONF.replace('0ld-s3cret', '********').replace('DB_HOSTNAME', '#DB_HOSTNAME')
                     .replace('LOG_LEVEL="2"', 'LOG_LEVEL="3"'),
        'before_header': str(conf),
        'after_header': str(conf),
    }
    assert_untouched(conf, before)
    assert os.listdir(conf.parent) == ['oar.conf']


def test_backup_is_made_only_when_writing(capsys, conf):
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, backup=True)
    assert (code, result['changed']) == (0, True)
    backup = result['backup_file']
    assert os.path.dirname(backup) == str(conf.parent) and backup != str(conf)
    with open(backup) as f:
        assert f.read() == CONF
    assert oct(os.stat(backup).st_mode & 0o777) == oct(0o640)  # a copy of DB passwords stays private
    assert sorted(os.listdir(conf.parent)) == sorted(['oar.conf', os.path.basename(backup)])


def test_missing_file_is_an_error_naming_it(capsys, tmp_path):
    path = tmp_path / 'oar.conf'
    code, result = run(capsys, path=str(path), settings={'A': 'a'})
    assert code == 1 and result['failed'] is True
    assert result['msg'] == '%s does not exist (set create=true to create it)' % path
    assert not path.exists()


def test_create_makes_a_private_file(capsys, tmp_path):
    path = tmp_path / 'oar.conf'
    code, result = run(capsys, path=str(path), settings={'A': 'a'}, create=True, _ansible_check_mode=True)
    assert (code, result['changed'], path.exists()) == (0, True, False)
    code, result = run(capsys, path=str(path), settings={'A': 'a'}, create=True, backup=True)
    assert (code, result['changed'], result['previous']) == (0, True, {'A': None})
    assert 'backup_file' not in result
    assert path.read_text() == 'A="a"\n'
    assert oct(os.stat(path).st_mode & 0o7777) == oct(0o600)


def test_create_with_nothing_to_write_creates_nothing(capsys, tmp_path):
    path = tmp_path / 'oar.conf'
    code, result = run(capsys, path=str(path), absent=['A'], create=True)
    assert (code, result['changed'], path.exists()) == (0, False, False)


def test_symbolic_link_is_followed(capsys, conf):
    link = conf.parent / 'link.conf'
    link.symlink_to(conf.name)
    code, result = run(capsys, path=str(link), settings={'LOG_LEVEL': 3})
    assert (code, result['changed']) == (0, True)
    assert link.is_symlink() and 'LOG_LEVEL="3"' in conf.read_text()


@pytest.mark.parametrize('settings, absent, words', [
    ({'LOG_LEVEL': '007'}, [], ['LOG_LEVEL: OAR3 would read the value as a number']),
    ({'LOG_LEVEL': ''}, [], ['LOG_LEVEL: empty value; use absent']),
    ({'LOG_LEVEL': 3, 'X': 'a$b', 'Y': 0.5}, [], ['X: value contains one of', 'Y: value of type float']),
    ({'LOG_LEVEL': 3}, ['LOG_LEVEL'], ['LOG_LEVEL: in both settings and absent']),
    ({'BAD-KEY': 1}, [], ["key 'BAD-KEY': not a valid name"]),
])
def test_refused_request_changes_nothing(capsys, conf, settings, absent, words):
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf), settings=settings, absent=absent, _ansible_check_mode=False)
    assert code == 1 and result['msg'].startswith('oar.conf left unchanged: ')
    for word in words:
        assert word in result['msg']
    assert_untouched(conf, before)


def test_export_line_warning(capsys, conf):
    conf.write_text(CONF + 'export OARDIR=/usr/lib/oar\n')
    code, result = run(capsys, path=str(conf), settings={'OARDIR': '/opt/oar'})
    assert (code, result['changed']) == (0, True)
    assert 'left the \\"export OARDIR=...\\" line untouched' in json.dumps(result['warnings'])
    assert conf.read_text().endswith('export OARDIR=/usr/lib/oar\nOARDIR="/opt/oar"\n')


# ---------------------------------------------------------------- secrets

@pytest.mark.parametrize('settings, absent, code', [
    ({'DB_BASE_PASSWD': 'n3w-s3cret', 'DB_HOSTNAME': 'h'}, [], 0),
    ({'DB_BASE_PASSWD': 'n3w-s3cret'}, ['DB_HOSTNAME', 'LOG_LEVEL'], 0),
    ({}, ['DB_BASE_PASSWD'], 0),  # the old one becomes a comment, still masked
    ({'DB_BASE_PASSWD': 'n3w-s3cret', 'LOG_LEVEL': '007'}, [], 1),
    ({'DB_BASE_PASSWD': ' n3w-s3cret$'}, [], 1),
    ({'DB_BASE_PASSWD': ['n3w-s3cret']}, [], 1),
    ({'DB_BASE_PASSWD': 'n3w-s3cret'}, ['DB_BASE_PASSWD'], 1),
])
def test_secrets_never_leave_the_module(capsys, conf, module_log, settings, absent, code):
    got, out = run_raw(capsys, path=str(conf), settings=settings, absent=absent,
                       _ansible_diff=True, _ansible_verbosity=4)
    result = json.loads(out)
    assert got == code
    assert 'invocation' in result  # what -vvv shows
    for secret in SECRETS:
        assert secret not in out
        assert not any(secret in message for message in module_log)
    assert module_log  # the invocation was logged, without the secrets
    if code == 0:
        assert result['previous']['DB_BASE_PASSWD'] == '********'
        assert 'DB_BASE_PASSWD="********"' in result['diff']['after']


def test_a_new_secret_is_really_written(capsys, conf):
    code, result = run(capsys, path=str(conf), settings={'DB_BASE_PASSWD': 'n3w-s3cret'})
    assert (code, result['changed_keys']) == (0, ['DB_BASE_PASSWD'])
    assert conf.read_text() == CONF.replace('0ld-s3cret', 'n3w-s3cret')


# ---------------------------------------------------------------- lock

def test_waits_for_the_lock_on_the_directory(conf, collections_dir):
    holder = os.open(conf.parent, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        args = {'path': str(conf), 'settings': {'LOG_LEVEL': 3}}
        module = subprocess.Popen(
            [sys.executable, '-m', 'ansible_collections.oar.oar3.plugins.modules.oar_conf',
             json.dumps({'ANSIBLE_MODULE_ARGS': args})],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, PYTHONPATH=collections_dir))
        time.sleep(2)
        assert module.poll() is None, module.communicate()
        assert conf.read_text() == CONF
    finally:
        os.close(holder)
    out, err = module.communicate(timeout=60)
    assert module.returncode == 0, (out, err)
    result = json.loads(out)
    assert result['changed'] is True
    assert conf.read_text() == CONF.replace('LOG_LEVEL="2"', 'LOG_LEVEL="3"')


def test_lock_timeout_is_a_clear_error(capsys, conf, monkeypatch):
    monkeypatch.setattr(oar_conf, 'LOCK_TIMEOUT', 0.3)
    before = os.stat(conf)
    holder = os.open(conf.parent, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3})
    finally:
        os.close(holder)
    assert code == 1
    assert result['msg'] == 'timed out after 0.3 s waiting for the lock on %s' % conf.parent
    assert_untouched(conf, before)
