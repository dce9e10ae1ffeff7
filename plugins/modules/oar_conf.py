#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: oar_conf
short_description: Set or comment out keys of OAR's C(oar.conf) safely for OAR2, OAR3 and bash
version_added: 0.1.0
author:
  - oar.oar3 developers (@oar-team)
description:
  - Sets keys of C(/etc/oar/oar.conf), the configuration file shared by OAR2 (read by Perl), OAR3 (read by Python)
    and the bash scripts that source it (C(oarsh), C(oar_resources_init)).
  - Writes each key as one line C(KEY="VALUE"), a form the three readers all read as the same VALUE.
  - A key that has an active line is changed in place, keeping the line's indentation and a trailing comment
    separated by whitespace. Several active lines of one key are collapsed into the first one.
  - A key found only in comments (such as C(#META_SCHED_CMD="oar_meta_sched")) gets its line right after the
    last such comment, so it sits next to its documentation. Any other key is appended at the end of the file.
  - Lines C(export KEY=...) are bash-only; they are left untouched and never count as the key (a warning is
    given when such a line exists for a key being set).
  - "Refused values: this module refuses the whole request, changes nothing and names every key at fault with
    the rule it breaks (never the value) when a key does not match C(^[A-Za-z_][A-Za-z0-9_]*$), when a key is
    in two of O(settings), O(absent) and O(remove), or when a value is empty (use O(absent)), contains C(\"), C(#), C($),
    a backtick or a backslash, contains a character that is not printable ASCII (newline, tab, NUL, accented
    letters...), starts or ends with a space or a single quote, is a number OAR3 would read back differently
    (OAR3 turns C(007) into 7, C(1e3) into 1000.0, and also C(+5), C(1_000), C(nan), C(inf)), or is neither a
    string, an integer nor a boolean (quote a decimal number such as C('0.5') to write it as is)."
  - Values of keys whose name contains C(PASSWD), C(PASSWORD), C(SECRET) or C(TOKEN) (in any case) are masked
    as C(********) in the diff, in RV(previous) and in messages, and are hidden from the module's log and
    result.
  - The edit runs under an exclusive lock on the file's directory, and the file is replaced atomically, keeping
    its owner, group and mode (C(oar.conf) holds database passwords and is mode C(0600)). When nothing changes
    the file is not written at all.
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
      - The file to edit. A symbolic link is followed and its target edited.
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
      - Make a timestamped copy of the file next to it before changing it. Nothing is copied when nothing
        changes.
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
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.oar.oar3.plugins.module_utils import oar_conf

LOCK_TIMEOUT = 60  # seconds; another oar_conf run on the same host holds it for milliseconds


class OarConfModule(AnsibleModule):
    def _log_invocation(self):
        # AnsibleModule logs its arguments to the target's journal while it
        # starts, before main() runs: register the secrets first.
        self.no_log_values.update(oar_conf.secret_strings(self.params['settings'] or {}))
        super(OarConfModule, self)._log_invocation()


def lock(module, dir_fd, directory):
    # The directory, not the file: the file is replaced by rename, so a
    # lock on it would not be seen by the next writer.
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                module.fail_json(msg='timed out after %g s waiting for the lock on %s' % (LOCK_TIMEOUT, directory))
            time.sleep(0.1)


def write_atomic(path, dir_fd, data, old_stat):
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            if old_stat is not None:
                # chown before chmod: chown may clear set-id bits.
                os.fchown(f.fileno(), old_stat.st_uid, old_stat.st_gid)
            os.fchmod(f.fileno(), stat.S_IMODE(old_stat.st_mode) if old_stat is not None else 0o600)
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.fsync(dir_fd)  # makes the rename itself durable


def edit(module, path, dir_fd):
    params = module.params
    try:
        with open(path, 'rb') as f:
            data = f.read()
            old_stat = os.fstat(f.fileno())
    except FileNotFoundError:
        if not params['create']:
            module.fail_json(msg='%s does not exist (set create=true to create it)' % path)
        data, old_stat = b'', None
    # surrogateescape: any byte, valid UTF-8 or not, is written back as it was.
    text = data.decode('utf-8', 'surrogateescape')
    module.no_log_values.update(oar_conf.secret_values(text))
    try:
        plan = oar_conf.plan(text, params['settings'], params['absent'], params['remove'])
    except oar_conf.OarConfError as e:
        module.fail_json(msg=to_native(e))
    for warning in plan.warnings:
        module.warn(warning)

    result = dict(changed=plan.text != text, changed_keys=plan.changed_keys,
                  previous=plan.previous, collapsed_keys=plan.collapsed_keys)
    if module._diff:
        result['diff'] = dict(before=oar_conf.mask_text(text), after=oar_conf.mask_text(plan.text),
                              before_header=path, after_header=path)
    if result['changed'] and not module.check_mode:
        if params['backup'] and old_stat is not None:
            result['backup_file'] = module.backup_local(path)
        write_atomic(path, dir_fd, plan.text.encode('utf-8', 'surrogateescape'), old_stat)
    return result


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
    module.no_log_values.update(oar_conf.secret_strings(module.params['settings']))
    try:
        # Refuse a bad request before touching anything.
        oar_conf.check_request(module.params['settings'], module.params['absent'], module.params['remove'])
    except oar_conf.OarConfError as e:
        module.fail_json(msg=to_native(e))

    path = os.path.realpath(module.params['path'])
    directory = os.path.dirname(path)
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError as e:
        module.fail_json(msg='cannot open the directory of %s: %s' % (path, to_native(e)))
    try:
        lock(module, dir_fd, directory)
        result = edit(module, path, dir_fd)
    except OSError as e:
        module.fail_json(msg='cannot update %s: %s' % (path, to_native(e)))
    finally:
        os.close(dir_fd)  # also releases the lock
    module.exit_json(**result)


if __name__ == '__main__':
    main()
