#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: oar_conf
short_description: Set or comment out keys of OAR's C(oar.conf) safely for OAR2, OAR3 and bash
version_added: 0.2.0
author:
  - oar.oar3 developers (@oar-team)
description:
  - Sets keys of C(/etc/oar/oar.conf), the configuration file shared by OAR2 (read by Perl), OAR3 (read by Python)
    and the bash scripts that source it (C(oarsh), C(oar_resources_init)).
  - Writes each key as one line C(KEY="VALUE"), a form the three readers all read as the same VALUE.
  - A key that has an active line is changed in place, keeping the line's indentation (spaces and tabs only)
    and a trailing comment separated by whitespace (any blank other than a space or a tab before it becomes a
    space, so that bash still reads a comment). Several active lines of one key are collapsed into the first one.
  - A key found only in comments (such as C(#META_SCHED_CMD="oar_meta_sched")) gets its line right after the
    last such comment, so it sits next to its documentation. Any other key is appended at the end of the file.
  - Lines C(export KEY=...) are bash-only; they are left untouched and never count as the key (a warning is
    given when such a line exists for a key being set, and the request is refused when that line comes after
    the line written, as bash would then read the other value).
  - "Refused values: this module refuses the whole request, changes nothing and names every key at fault with
    the rule it breaks (never the value) when a key does not match C(^[A-Za-z_][A-Za-z0-9_]*$), when a key is
    in two of O(settings), O(absent) and O(remove), or when a value is empty (use O(absent)), contains C(\"), C(#), C($),
    a backtick or a backslash, contains a character that is not printable ASCII (newline, tab, NUL, accented
    letters...), starts or ends with a space or a single quote, is a number OAR3 would read back differently
    (OAR3 3.0.x turns C(007) into 7, C(1e3) into 1000.0, and also C(+5), C(1_000), C(nan), C(inf), and
    C(sNaN) or C(NaN12) into nothing at all), or is neither a string, an integer nor a boolean (quote a decimal
    number such as C('0.5') to write it as is)."
  - "Keys that bash sets, reads or reserves are refused in O(settings) (C(RANDOM), C(SECONDS), C(LINENO),
    C(UID), C(IFS), C(PATH), C(HOME), C(BASH_ENV), C(ENV), C(PS4), C(POSIXLY_CORRECT), C(SHELLOPTS), any
    C(BASH_*) or C(LC_*), ...): bash, which sources C(oar.conf), would ignore, rewrite or refuse the
    assignment, or change how it runs the rest of the file and the script that sourced it."
  - "C(DB_BASE_LOGIN), C(DB_BASE_PASSWD), C(DB_BASE_LOGIN_RO) and C(DB_BASE_PASSWD_RO) values containing
    C(@), C(%), C(:), C(/), C(?) or C(#) are refused, with the message M(oar.oar3.oar_preflight) gives for them:
    OAR3 pastes them into its database URL without escaping."
  - "The file as a whole: the request is refused, the file left as it was, when it (as it would be written)
    has a line that is not valid UTF-8 (OAR3 cannot start on it), a carriage return (OAR3 reads it as a line
    end), a line that is neither blank, a comment nor one plain C(KEY=value) assignment (optionally after
    C(export)), with only space and tab as blanks and no control or Unicode space character outside comments
    (bash would run it, or the readers would read it differently), an assignment of a variable bash treats
    specially, or a later line that sets a written key again for one of the readers. Messages name the lines,
    never their contents."
  - "Values of keys whose name contains C(PASSWD), C(PASSWORD), C(SECRET) or C(TOKEN) (in any case) are masked
    as C(********) in the diff (whatever the shape of the line, C(declare -x KEY=), C(typeset), C(readonly),
    C(local), C(KEY+=), C(set KEY=), commented or not), in RV(previous) and in messages, and are hidden from
    the module's log and result on every path, a failed argument validation (unknown option, wrong type)
    included, whatever the type of the value."
  - Only a regular file of at most 1 MiB is edited. A FIFO, socket, device or directory is refused at once,
    without being opened and without waiting for the lock.
  - "The edit runs under an exclusive lock on the file's directory, and the file is replaced atomically, keeping
    its owner, group and mode (C(oar.conf) holds database passwords and is mode C(0600)). The new content is
    written to a temporary file C(.NAME.oar3-tmp-XXXXXXXX) created mode C(0600) in the same directory; such
    files left by an interrupted run are removed, under the lock, by the next run (with a warning). When nothing
    changes the file is not written at all."
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  path:
    description:
      - "The file to edit. A symbolic link (in the path or as the file) is followed and its target edited, but
        only where the kernel's C(fs.protected_symlinks) rule would allow it, whatever that setting says: a link
        in a sticky world-writable directory (such as C(/tmp)) is followed only when it belongs to the user
        running the module or to the directory's owner. Otherwise the path is refused."
    type: path
    default: /etc/oar/oar.conf
  settings:
    description:
      - Keys to set, each mapped to its value.
      - Booleans are written C(yes) or C(no), integers in decimal.
      - Strings are written as they are; see the description for the values that are refused.
    type: dict
    default: {}
  absent:
    description:
      - Keys to disable. Each active line of the key becomes a comment C(#KEY="...") so the value stays
        visible as documentation.
      - A key that is missing or only in comments is left as it is.
    type: list
    elements: str
    default: []
  remove:
    description:
      - Keys whose active lines are deleted, the inverse of adding a key that was not set, so that undoing a
        change gives back the file byte for byte. Comments and C(export) lines of the key stay.
      - A key that is missing or only in comments is left as it is.
    type: list
    elements: str
    default: []
  restore:
    description:
      - Keys to give back the values recorded before a change; a V(null) value means the key had no active line,
        which is then deleted as with O(remove). Combined with O(settings) and O(remove).
    type: dict
    default: {}
  backup:
    description:
      - Make a timestamped copy of the file next to it before changing it, with the file's owner, group and
        mode (created C(0600) until then). Nothing is copied when nothing changes.
    type: bool
    default: false
  create:
    description:
      - Create the file, mode C(0600), when it does not exist and there is something to write.
      - When V(false) a missing file is an error.
    type: bool
    default: false
notes:
  - Some OAR daemons read C(oar.conf) only when they start (for example Almighty and C(META_SCHED_CMD)); restart
    them after a change.
  - C(oar.conf) is managed by C(ucf) on Debian; a package upgrade may prompt about it or rewrite it.
"""

EXAMPLES = r"""
- name: Let OAR2's metascheduler run kao and tell kao it runs beside OAR2
  oar.oar3.oar_conf:
    settings:
      META_SCHED_CMD: kao
      METASCHEDULER_OAR3_WITH_OAR2: true
      HIERARCHY_LABELS: resource_id,network_address,cpu,core
    backup: true
  register: oar_conf_result

- name: Set the database passwords (masked in the diff and the result)
  oar.oar3.oar_conf:
    settings:
      DB_BASE_PASSWD: "{{ vault_oar_db_password }}"
      DB_BASE_PASSWD_RO: "{{ vault_oar_db_ro_password }}"

- name: Undo keys that were added (their lines are deleted)
  oar.oar3.oar_conf:
    remove:
      - METASCHEDULER_OAR3_WITH_OAR2

- name: Go back to OAR2's own metascheduler (the key becomes a comment)
  oar.oar3.oar_conf:
    absent:
      - META_SCHED_CMD
      - METASCHEDULER_OAR3_WITH_OAR2
"""

RETURN = r"""
changed_keys:
  description: Keys whose lines were (or, in check mode, would be) changed, sorted.
  returned: always
  type: list
  elements: str
  sample: [HIERARCHY_LABELS, META_SCHED_CMD]
previous:
  description:
    - Each key of O(settings), O(absent) and O(remove) mapped to its value before the change as OAR2 reads it, or V(null)
      when the key had no active line.
    - Values of secret keys are C(********).
  returned: always
  type: dict
  sample: {"META_SCHED_CMD": null, "DB_BASE_PASSWD": "********", "LOG_LEVEL": "2"}
collapsed_keys:
  description: Keys of O(settings) that had several active lines, collapsed into the first one, sorted.
  returned: always
  type: list
  elements: str
  sample: []
backup_file:
  description: Name of the backup copy.
  returned: when O(backup=true) and the file was changed
  type: str
  sample: /etc/oar/oar.conf.12345.2026-11-24@09:24:50~
"""

import fcntl
import os
import random
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf

LOCK_TIMEOUT = 60  # seconds; another oar_conf run on the same host holds it for milliseconds
MAX_LINKS = 40  # symbolic links followed for one path, as the kernel allows
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO (or a device) must never wait; only regular files are read.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
_TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_'
_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket'),
          (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'), (stat.S_ISLNK, 'a symbolic link'))


class Refused(Exception):
    """A path or file this module will not edit; the message names it, never its contents."""


class OarConfModule(AnsibleModule):
    def _load_params(self):
        # Secrets are registered as soon as the arguments are read, before
        # AnsibleModule validates them: a failed validation (an unknown
        # option, a wrong type) returns the arguments, shown at -vvv.
        super(OarConfModule, self)._load_params()
        self.no_log_values.update(oar_conf.secret_strings(self.params))
        # A key that holds a secret itself ('DB_BASE_PASSWD=x') is refused
        # anyway; masked here, as Ansible masks values only.
        self.params = oar_conf.mask_secret_keys(self.params)

    def _log_invocation(self):
        # AnsibleModule logs its arguments to the target's journal while it
        # starts, before main() runs: register the secrets first.
        self.no_log_values.update(oar_conf.secret_strings(self.params))
        super(OarConfModule, self)._log_invocation()


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def may_follow(link, parent, follower):
    """The kernel's fs.protected_symlinks rule, applied whatever the sysctl says.

    A link is followed when the follower owns it, when its directory is not
    both sticky and world-writable, or when the directory's owner owns it.
    """
    if link.st_uid == follower:
        return True
    if (parent.st_mode & (stat.S_ISVTX | stat.S_IWOTH)) != (stat.S_ISVTX | stat.S_IWOTH):
        return True
    return parent.st_uid == link.st_uid


def _shown(parts):
    return '/' + '/'.join(parts)


class Target(object):
    """The file to edit: an open descriptor on its directory and its name there."""

    def __init__(self, dir_fd, parts, name):
        self.dir_fd, self.name = dir_fd, name
        self.directory = _shown(parts)
        self.path = _shown(parts + [name])


def resolve(path):
    """Walk path from '/', one directory descriptor at a time; returns a Target.

    Symbolic links are followed (each one in the chain, in any component)
    only where the kernel's protected_symlinks rule allows; every directory
    is opened with O_NOFOLLOW, so a component swapped for a link meanwhile
    fails instead of being followed.
    """
    if not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)
    pending = [part for part in path.split('/') if part]
    fd = os.open('/', _DIR_FLAGS)
    parts, links = [], 0
    try:
        while True:
            if not pending:
                raise Refused('%s is a directory, not a regular file' % path)
            part = pending.pop(0)
            if part == '.':
                continue
            if part == '..':
                parent = os.open('..', _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = parent
                parts = parts[:-1]
                continue
            try:
                st = os.stat(part, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                if pending:
                    raise
                return Target(fd, parts, part)  # may be created
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_LINKS:
                    raise Refused('%s: more than %d symbolic links to follow' % (path, MAX_LINKS))
                if not may_follow(st, os.fstat(fd), os.geteuid()):
                    raise Refused('%s: will not follow the symbolic link %s: it is in a sticky world-writable '
                                  'directory and owned by uid %d, neither this user nor the directory\'s owner '
                                  '(the kernel\'s protected_symlinks rule)' % (path, _shown(parts + [part]), st.st_uid))
                target = os.readlink(part, dir_fd=fd)
                if target.startswith('/'):
                    root = os.open('/', _DIR_FLAGS)
                    os.close(fd)
                    fd, parts = root, []
                pending = [p for p in target.split('/') if p] + pending
                continue
            if not pending:
                return Target(fd, parts, part)
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
            parts.append(part)
    except BaseException:
        os.close(fd)
        raise


def check_regular(target, st):
    if not stat.S_ISREG(st.st_mode):
        raise Refused('%s is %s, not a regular file: refusing it' % (target.path, _kind(st.st_mode)))
    if st.st_size > oar_conf.MAX_SIZE:
        raise Refused('%s is larger than %s (%d bytes): refusing it, oar.conf is far smaller'
                      % (target.path, oar_conf.MAX_SIZE_TEXT, st.st_size))


def precheck(target):
    """Refuse at once, without opening it, anything but a regular file of a sane size (None: missing)."""
    try:
        st = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    check_regular(target, st)
    return st


def read(target):
    """(bytes, stat) of the file, or (None, None) when missing; never blocks."""
    try:
        fd = os.open(target.name, _READ_FLAGS, dir_fd=target.dir_fd)
    except FileNotFoundError:
        return None, None
    with os.fdopen(fd, 'rb') as f:
        st = os.fstat(f.fileno())
        check_regular(target, st)
        data = f.read(oar_conf.MAX_SIZE + 1)
    if len(data) > oar_conf.MAX_SIZE:
        raise Refused('%s is larger than %s: refusing it, oar.conf is far smaller' % (target.path, oar_conf.MAX_SIZE_TEXT))
    return data, st


def lock(module, target):
    # The directory, not the file: the file is replaced by rename, so a
    # lock on it would not be seen by the next writer.
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(target.dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                module.fail_json(msg='timed out after %g s waiting for the lock on %s' % (LOCK_TIMEOUT, target.directory))
            time.sleep(0.1)


def remove_leftovers(target):
    """Delete the temporary files a killed run left (they hold the passwords); under the lock. Returns their names."""
    removed = []
    for name in os.listdir(target.dir_fd):
        if not oar_conf.is_temp_name(target.name, name):
            continue
        try:
            st = os.stat(name, dir_fd=target.dir_fd, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
                os.unlink(name, dir_fd=target.dir_fd)
                removed.append(name)
        except FileNotFoundError:
            pass
    return sorted(removed)


def create_private(target, make_name):
    """A new file in the target's directory, mode 0600 whatever the umask: (fd, name)."""
    for _attempt in range(100):
        name = make_name()
        try:
            fd = os.open(name, _CREATE_FLAGS, 0o600, dir_fd=target.dir_fd)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)
        return fd, name
    raise FileExistsError('no free temporary name in %s' % target.directory)


def write_new(target, data, old_stat, make_name):
    """Write data to a new private file, then give it the old owner and mode; returns its name."""
    fd, name = create_private(target, make_name)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            # Synced while still 0600 and ours: a run killed until now leaves
            # a private file, which the next run removes.
            os.fsync(f.fileno())
            if old_stat is not None:
                # chown before chmod: chown may clear set-id bits.
                os.fchown(f.fileno(), old_stat.st_uid, old_stat.st_gid)
                os.fchmod(f.fileno(), stat.S_IMODE(old_stat.st_mode))
                os.fsync(f.fileno())
    except BaseException:
        try:
            os.unlink(name, dir_fd=target.dir_fd)
        except OSError:
            pass
        raise
    return name


def temp_token():
    rand = random.SystemRandom()
    return ''.join(rand.choice(_TOKEN_CHARS) for dummy in range(8))


def write_atomic(target, data, old_stat):
    tmp = write_new(target, data, old_stat, lambda: oar_conf.temp_name(target.name, temp_token()))
    try:
        os.rename(tmp, target.name, src_dir_fd=target.dir_fd, dst_dir_fd=target.dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=target.dir_fd)
        except OSError:
            pass
        raise
    os.fsync(target.dir_fd)  # makes the rename itself durable


def backup(target, data, old_stat):
    """A copy next to the file, named as AnsibleModule.backup_local names them, private until it has the old mode."""
    stamp = time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime(time.time()))
    name = write_new(target, data, old_stat, lambda: '%s.%s.%s~' % (target.name, os.getpid(), stamp))
    return os.path.join(target.directory, name)


def edit(module, target):
    params = module.params
    data, old_stat = read(target)
    if data is None:
        if not params['create']:
            module.fail_json(msg='%s does not exist (set create=true to create it)' % target.path)
        data = b''
    # Registered before anything else can fail: no message may show them.
    module.no_log_values.update(v for v in oar_conf.secret_values(data.decode('utf-8', 'surrogateescape'))
                                if _encodable(v))
    try:
        text = oar_conf.decode(data)  # before any write: OAR3 could not start on it
        plan = oar_conf.plan(text, params['settings'], params['absent'], params['remove'])
    except oar_conf.OarConfError as e:
        module.fail_json(msg=to_native(e))
    for warning in plan.warnings:
        module.warn(warning)

    result = dict(changed=plan.text != text, changed_keys=plan.changed_keys,
                  previous=plan.previous, collapsed_keys=plan.collapsed_keys)
    if module._diff:
        result['diff'] = dict(before=oar_conf.mask_text(text), after=oar_conf.mask_text(plan.text),
                              before_header=target.path, after_header=target.path)
    if result['changed'] and not module.check_mode:
        if params['backup'] and old_stat is not None:
            result['backup_file'] = backup(target, data, old_stat)
        write_atomic(target, plan.text.encode('utf-8'), old_stat)
    return result


def _encodable(text):
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def run(module):
    try:
        target = resolve(module.params['path'])
    except Refused as e:
        module.fail_json(msg=to_native(e))
    except OSError as e:
        module.fail_json(msg='cannot open the directory of %s: %s' % (module.params['path'], to_native(e)))
    try:
        precheck(target)  # at once, before waiting for the lock
        lock(module, target)
        removed = remove_leftovers(target)
        if removed:
            module.warn('removed %s, temporary file(s) left by an interrupted run' % ', '.join(removed))
        result = edit(module, target)
    except Refused as e:
        module.fail_json(msg=to_native(e))
    except OSError as e:
        module.fail_json(msg='cannot update %s: %s' % (target.path, to_native(e)))
    finally:
        os.close(target.dir_fd)  # also releases the lock
    module.exit_json(**result)


def main():
    module = OarConfModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/oar/oar.conf'),
            settings=dict(type='dict', default={}),
            absent=dict(type='list', elements='str', default=[]),
            remove=dict(type='list', elements='str', default=[]),
            backup=dict(type='bool', default=False),
            create=dict(type='bool', default=False),
            restore=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    # restore: values recorded before a change; null means the key had no line.
    for key, value in (module.params['restore'] or {}).items():
        if value is None:
            module.params['remove'] = (module.params['remove'] or []) + [key]
        else:
            module.params['settings'] = dict(module.params['settings'] or {}, **{key: value})
    # An explicit null means the default.
    module.params['settings'] = module.params['settings'] or {}
    module.params['absent'] = module.params['absent'] or []
    module.params['remove'] = module.params['remove'] or []
    # Again here: _log_invocation is skipped when the task has no_log.
    module.no_log_values.update(oar_conf.secret_strings(module.params))
    try:
        # Refuse a bad request before touching anything.
        oar_conf.check_request(module.params['settings'], module.params['absent'], module.params['remove'])
    except oar_conf.OarConfError as e:
        module.fail_json(msg=to_native(e))
    try:
        run(module)
    except Exception as e:  # pylint: disable=broad-except
        # No traceback: its text could hold a line of oar.conf.
        module.fail_json(msg='oar_conf failed unexpectedly (%s); details withheld, they may hold secrets'
                         % type(e).__name__)


if __name__ == '__main__':
    main()
