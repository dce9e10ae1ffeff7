# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The oar_conf module's file handling, on real files: runs the module in-process (and once as a process)."""

from __future__ import annotations

import fcntl
import json
import socket
import stat
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


# ---------------------------------------------------------------- secrets on every path (issue 19, 1)

def strings_of(value):
    """Every string in a JSON result, keys included, unescaped."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k] + strings_of(v)]
    if isinstance(value, list):
        return [s for item in value for s in strings_of(item)]
    return [str(value)]


def assert_no_secret(out, module_log, secrets):
    text = '\n'.join(strings_of(json.loads(out)))
    for secret in secrets:
        assert secret not in out and secret not in text, secret
        assert not any(secret in message for message in module_log), secret


@pytest.mark.parametrize('extra', [
    {'bogus': 1},                                   # an unknown option
    {'backup': 'perhaps'},                          # a wrong type beside the settings
    {'absent': {'not': 'a list'}},
    {'create': [1], 'bogus': 'x'},
    {'DB_BASE_PASSWD': 'n3w-s3cret'},               # the key given as an option by mistake
])
def test_secrets_hidden_when_argument_validation_fails(capsys, conf, module_log, extra):
    before = os.stat(conf)
    code, out = run_raw(capsys, path=str(conf), _ansible_verbosity=3, _ansible_diff=True, **dict(
        {'settings': {'DB_BASE_PASSWD': 'n3w-s3cret', 'API_TOKEN': 918273645, 'X_SECRET': ['n3w-l1st']}}, **extra))
    assert code == 1
    assert 'invocation' in json.loads(out)  # what -vvv shows
    assert_no_secret(out, module_log, SECRETS + ['918273645', 'n3w-l1st'])
    assert_untouched(conf, before)


@pytest.mark.parametrize('settings', [
    'DB_BASE_PASSWD=n3w-s3cret LOG_LEVEL=3',                # the k=v string form
    '{"DB_BASE_PASSWD": "n3w-s3cret"}',                     # JSON
    {'DB_BASE_PASSWD=n3w-s3cret': 'x'},                     # pasted into the key
    {'DB_BASE_PASSWD': {'nested': ['n3w-s3cret']}},
])
def test_secrets_hidden_whatever_the_shape_of_settings(capsys, conf, module_log, settings):
    before = os.stat(conf)
    code, out = run_raw(capsys, path=str(conf), settings=settings, bogus=True, _ansible_verbosity=3)
    assert code == 1
    assert_no_secret(out, module_log, SECRETS)
    code, out = run_raw(capsys, path=str(conf), settings=settings, _ansible_verbosity=3, _ansible_diff=True)
    assert_no_secret(out, module_log, SECRETS)
    if code == 0:  # the string forms are converted by AnsibleModule, then written
        assert 'n3w-s3cret' in conf.read_text()
    else:
        assert_untouched(conf, before)
    if isinstance(settings, dict) and '=' in next(iter(settings)):
        # Refused, and the message says what the masked key was.
        assert code == 1 and 'a key naming a secret (not shown): not a valid name' in json.loads(out)['msg']


SHAPED = ('# OAR\n'
          '#declare -x DB_BASE_PASSWD="0ld-s3cret"\n'
          '# typeset -x API_TOKEN=0ld-t0ken\n'
          '\t#  readonly DB_BASE_PASSWD_RO = 0ld-r0nly\n'
          '#DB_BASE_PASSWD+=0ld-app3nd\n'
          '#set MY_SECRET=0ld-s3t\n'
          'DB_BASE_PASSWD="0ld-s3cret"\n'
          'LOG_LEVEL="2"\n')
SHAPED_SECRETS = ['0ld-s3cret', '0ld-t0ken', '0ld-r0nly', '0ld-app3nd', '0ld-s3t']


def test_every_secret_shape_is_masked_in_the_diff(capsys, conf, module_log):
    conf.write_text(SHAPED)
    code, out = run_raw(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, _ansible_diff=True,
                        _ansible_verbosity=3)
    assert code == 0
    result = json.loads(out)
    assert_no_secret(out, module_log, SHAPED_SECRETS)
    assert result['diff']['after'].count('********') == 6
    assert 'LOG_LEVEL="3"' in result['diff']['after']


@pytest.mark.parametrize('line', ['declare -x DB_BASE_PASSWD="0ld-s3cret"', 'local DB_BASE_PASSWD=0ld-s3cret',
                                  'read DB_BASE_PASSWD <<< 0ld-s3cret', 'DB_BASE_PASSWD=0ld-s3cret; id'])
def test_a_refused_file_never_shows_its_secrets(capsys, conf, module_log, line):
    conf.write_text(CONF + line + '\n')
    os.utime(conf, (OLD_TIME, OLD_TIME))
    before = os.stat(conf)
    code, out = run_raw(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, _ansible_diff=True, _ansible_verbosity=3)
    assert code == 1 and 'line 6 is neither blank' in json.loads(out)['msg']
    assert_no_secret(out, module_log, SECRETS)
    assert os.stat(conf).st_mtime_ns == before.st_mtime_ns


def test_leftovers_of_a_killed_run_are_removed_under_the_lock(capsys, conf):
    leftover = conf.parent / '.oar.conf.oar3-tmp-k1ll3d_x'
    leftover.write_text(CONF)
    os.chmod(leftover, 0o600)
    kept = [conf.parent / '.oar.conf.original', conf.parent / 'oar.conf.123.2026-01-01@00:00:00~']
    for path in kept:
        path.write_text(CONF)
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': '2'})  # even when nothing changes
    assert (code, result['changed']) == (0, False)
    assert not leftover.exists()
    assert all(path.exists() for path in kept)
    assert 'removed .oar.conf.oar3-tmp-k1ll3d_x, temporary file(s) left by an interrupted run' in json.dumps(
        result['warnings'])


def test_a_really_killed_run_leaves_a_private_file_that_the_next_run_removes(conf, collections_dir, capsys):
    # The module is killed (SIGKILL) while it syncs the data of its temporary file.
    os.chmod(conf, 0o644)
    stall = ('import os, sys, time; os.fsync = lambda fd: time.sleep(60); '
             'from ansible_collections.oar.oar3.plugins.modules import oar_conf; oar_conf.main()')
    args = {'path': str(conf), 'settings': {'DB_BASE_PASSWD': 'n3w-s3cret'}}
    module = subprocess.Popen([sys.executable, '-c', stall, json.dumps({'ANSIBLE_MODULE_ARGS': args})],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(os.environ, PYTHONPATH=collections_dir))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(os.listdir(conf.parent)) < 2:
            time.sleep(0.05)
    finally:
        module.kill()
        module.communicate()
    left = [name for name in os.listdir(conf.parent) if name != 'oar.conf']
    assert len(left) == 1 and left[0].startswith('.oar.conf.oar3-tmp-'), left
    st = os.stat(conf.parent / left[0])
    assert (st.st_uid, oct(st.st_mode & 0o7777)) == (os.geteuid(), oct(0o600))  # never the file's 0644 meanwhile
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': '2'})
    assert code == 0 and os.listdir(conf.parent) == ['oar.conf']


def test_temporary_and_backup_files_are_created_private(capsys, conf, monkeypatch):
    os.chmod(conf, 0o644)
    created = []
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        created.append(os.fstat(fd).st_mode & 0o7777)
        return real_fdopen(fd, *args, **kwargs)
    monkeypatch.setattr(oar_conf.os, 'fdopen', fdopen)
    old_umask = os.umask(0)
    try:
        code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, backup=True)
    finally:
        os.umask(old_umask)
    assert (code, result['changed']) == (0, True)
    writes = created[1:]  # the first one is the file being read
    assert len(writes) == 2 and all(mode == 0o600 for mode in writes), [oct(m) for m in created]
    assert oct(os.stat(result['backup_file']).st_mode & 0o777) == oct(0o644)  # then the file's own mode
    assert oct(os.stat(conf).st_mode & 0o777) == oct(0o644)


# ---------------------------------------------------------------- only regular files (issue 19, 2)

def run_process(collections_dir, args, timeout=20):
    done = subprocess.run([sys.executable, '-m', 'ansible_collections.oar.oar3.plugins.modules.oar_conf',
                           json.dumps({'ANSIBLE_MODULE_ARGS': args})],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
                          env=dict(os.environ, PYTHONPATH=collections_dir))
    return done.returncode, json.loads(done.stdout)


def test_a_fifo_is_refused_at_once_even_while_the_lock_is_held(tmp_path, collections_dir):
    fifo = tmp_path / 'oar.conf'
    os.mkfifo(fifo)
    holder = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another run holds the lock: a refusal must not wait for it
    try:
        started = time.monotonic()
        code, result = run_process(collections_dir, {'path': str(fifo), 'settings': {'A': 'a'}})
    finally:
        os.close(holder)
    assert code == 1 and result['msg'] == '%s is a FIFO, not a regular file: refusing it' % fifo
    assert time.monotonic() - started < 10
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_other_special_files_are_refused(capsys, tmp_path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / 'sock'))
    os.mknod(tmp_path / 'dev', stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
    (tmp_path / 'dir').mkdir()
    try:
        for name, kind in [('sock', 'a socket'), ('dev', 'a character device'), ('dir', 'a directory')]:
            before = os.lstat(tmp_path / name)
            code, result = run(capsys, path=str(tmp_path / name), settings={'A': 'a'}, create=True)
            assert code == 1 and result['msg'] == '%s is %s, not a regular file: refusing it' % (tmp_path / name, kind)
            after = os.lstat(tmp_path / name)
            assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (before.st_ino, before.st_mode, before.st_mtime_ns)
    finally:
        server.close()
    assert sorted(os.listdir(tmp_path)) == ['dev', 'dir', 'sock']


def test_a_file_over_the_size_limit_is_refused(capsys, conf):
    conf.write_text(CONF + '#' * (1024 * 1024) + '\n')
    os.utime(conf, (OLD_TIME, OLD_TIME))
    before = os.stat(conf)
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3})
    assert code == 1
    assert result['msg'] == '%s is larger than 1 MiB (%d bytes): refusing it, oar.conf is far smaller' % (
        conf, before.st_size)
    after = os.stat(conf)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)


# ---------------------------------------------------------------- links (issue 19, 3)

@pytest.fixture
def sticky(tmp_path):
    """A sticky world-writable directory (like /tmp) owned by root."""
    path = tmp_path / 'sticky'
    path.mkdir()
    os.chmod(path, 0o1777)
    return path


def link(path, target, uid):
    os.symlink(target, path)
    os.lchown(path, uid, uid)
    return path


def test_a_link_planted_by_another_user_in_a_sticky_dir_is_refused(capsys, conf, sticky):
    before = os.stat(conf)
    planted = link(sticky / 'oar.conf', conf, UID)
    code, result = run(capsys, path=str(planted), settings={'LOG_LEVEL': 3})
    assert code == 1
    assert result['msg'] == (
        "%s: will not follow the symbolic link %s: it is in a sticky world-writable directory and owned by uid %d, "
        "neither this user nor the directory's owner (the kernel's protected_symlinks rule)" % (planted, planted, UID))
    assert_untouched(conf, before)


def test_a_planted_link_is_refused_anywhere_in_the_chain(capsys, conf, sticky, tmp_path):
    before = os.stat(conf)
    link(sticky / 'etc', conf.parent, UID)                 # a directory component
    code, result = run(capsys, path=str(sticky / 'etc' / 'oar.conf'), settings={'LOG_LEVEL': 3})
    assert code == 1 and 'will not follow the symbolic link %s' % (sticky / 'etc') in result['msg']
    link(sticky / 'second', conf, UID)                     # the second link of a chain
    first = link(tmp_path / 'first', sticky / 'second', os.geteuid())
    code, result = run(capsys, path=str(first), settings={'LOG_LEVEL': 3})
    assert code == 1 and 'will not follow the symbolic link %s' % (sticky / 'second') in result['msg']
    assert_untouched(conf, before)


@pytest.mark.parametrize('case', ['owned by the follower', 'owned by the directory owner', 'not sticky',
                                  'sticky but not world-writable'])
def test_links_the_kernel_rule_allows_are_followed(capsys, conf, tmp_path, case):
    directory = tmp_path / 'links'
    directory.mkdir()
    owner, mode, link_uid = os.geteuid(), 0o1777, os.geteuid()
    if case == 'owned by the directory owner':
        owner, link_uid = UID, UID
    elif case == 'not sticky':
        mode, link_uid = 0o777, UID
    elif case == 'sticky but not world-writable':
        mode, link_uid = 0o1775, UID
    os.chown(directory, owner, owner)
    os.chmod(directory, mode)
    path = link(directory / 'oar.conf', conf, link_uid)
    code, result = run(capsys, path=str(path), settings={'LOG_LEVEL': 3})
    assert (code, result['changed']) == (0, True), result
    assert 'LOG_LEVEL="3"' in conf.read_text() and path.is_symlink()


def test_a_relative_link_with_dot_dot_is_followed(capsys, conf, tmp_path):
    (tmp_path / 'other').mkdir()
    path = link(tmp_path / 'other' / 'oar.conf', '../etc/./oar.conf', os.geteuid())
    code, result = run(capsys, path=str(path), settings={'LOG_LEVEL': 3}, _ansible_diff=True)
    assert (code, result['diff']['before_header']) == (0, str(conf))


def test_a_link_loop_is_refused(capsys, tmp_path):
    os.symlink('b', tmp_path / 'a')
    os.symlink('a', tmp_path / 'b')
    code, result = run(capsys, path=str(tmp_path / 'a'), settings={'LOG_LEVEL': 3}, create=True)
    assert code == 1 and 'more than 40 symbolic links' in result['msg']


# ---------------------------------------------------------------- the readers agree (issue 19, 4 and 5)

def test_a_non_utf8_file_is_refused_before_writing(capsys, conf):
    conf.write_bytes(CONF.encode() + b'#caf\xe9\n')
    os.utime(conf, (OLD_TIME, OLD_TIME))
    before = os.stat(conf)
    data = conf.read_bytes()
    code, result = run(capsys, path=str(conf), settings={'LOG_LEVEL': 3}, _ansible_diff=True)
    assert code == 1
    assert result['msg'].startswith('oar.conf left unchanged: line 6 is not valid UTF-8')
    assert conf.read_bytes() == data
    after = os.stat(conf)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert os.listdir(conf.parent) == ['oar.conf']


@pytest.mark.parametrize('settings, words', [
    ({'DB_BASE_PASSWD': 'n3w@s3cret'}, "DB_BASE_PASSWD contains '@', which OAR3 cannot use"),
    ({'DB_BASE_PASSWD_RO': 'n3w?s3cret'}, "DB_BASE_PASSWD_RO contains '?'"),
    ({'RANDOM': 5}, 'RANDOM: a variable that bash sets or reads itself'),
    ({'LOG_LEVEL': 'sNaN'}, 'LOG_LEVEL: OAR3 would read the value as nothing'),
])
def test_values_the_readers_would_not_agree_on_are_refused(capsys, conf, module_log, settings, words):
    before = os.stat(conf)
    code, out = run_raw(capsys, path=str(conf), settings=settings, _ansible_verbosity=3)
    assert code == 1 and words in json.loads(out)['msg']
    assert_no_secret(out, module_log, SECRETS + ['n3w@s3cret', 'n3w?s3cret'])
    assert_untouched(conf, before)
