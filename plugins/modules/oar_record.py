#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_record
short_description: Keep what a change replaces on an OAR2 server, until it is proven or put back
version_added: 0.2.0
description:
  - Owns two JSON files on the server. The record (O(path)) holds what a role replaced before its first change;
    O(record) only adds what the file lacks (a key it does not have, a queue it does not name) and never
    overwrites a value, so going back always restores what was there before the collection came.
  - The pending state (O(path) with C(.pending) appended) holds what one change replaced until a scheduling
    round proves that change. With O(set_pending) it is written before the change, unless one is already on
    file (an earlier run stopped between its change and the proof, RV(resumed)); that one is kept, since it
    holds what the first change replaced. O(clear_pending) removes it once the change is proven or put back.
  - Every write is atomic (a temporary file renamed over the old one, under a lock), so a killed run leaves
    the old file or the new one, never a part.
author:
  - oar.oar3 developers (@oar-team)
attributes:
  check_mode:
    support: full
    description: Reports what would be written; writes nothing.
  diff_mode:
    support: full
    description: Shows the record and the pending state before and after.
options:
  path:
    description: The record file. Its directory is created (mode 0755) when something is to be written.
    type: path
    required: true
  state:
    description: V(absent) removes the record and the pending state (after a rollback).
    type: str
    choices: [present, absent]
    default: present
  record:
    description: What the change replaces, added to the record where the record lacks it.
    type: dict
  pending:
    description: What this change replaces, kept as the pending state when O(set_pending) is true.
    type: dict
  set_pending:
    description: Keep O(pending) as the pending state, unless a pending state is already on file.
    type: bool
    default: false
  clear_pending:
    description: Remove the pending state.
    type: bool
    default: false
  default:
    description: What RV(record) returns when there is no record on file.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Record what the switch replaces; keep it pending when the switch changes something
  oar.oar3.oar_record:
    path: /etc/ansible/facts.d/oar3_kamelot.fact
    record: {queues: "{{ preflight.listed }}"}
    pending: {queues: "{{ preflight.listed }}", mark: "{{ preflight.mark }}"}
    set_pending: "{{ preflight.changes | length > 0 }}"
  register: before

- name: Forget the pending state once the round proved the switch
  oar.oar3.oar_record:
    path: /etc/ansible/facts.d/oar3_kamelot.fact
    clear_pending: true
"""

RETURN = r"""
record:
  description: The record after the call (O(default) when there is none).
  returned: success
  type: dict
pending:
  description: The pending state after the call, or null. With RV(resumed), what an unfinished run replaced.
  returned: success
  type: dict
is_pending:
  description: Whether there is a pending state after the call (a change not yet proven or put back).
  returned: success
  type: bool
resumed:
  description: Whether a pending state of an earlier run was on file when the call started.
  returned: success
  type: bool
"""

import fcntl
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.oar3.plugins.module_utils._record import RecordError, dump, load, plan


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def write(path, text):
    """Atomically replace path by text (None: remove it)."""
    if text is None:
        if os.path.lexists(path):
            os.unlink(path)
        return
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            record=dict(type="dict"),
            pending=dict(type="dict"),
            set_pending=dict(type="bool", default=False),
            clear_pending=dict(type="bool", default=False),
            default=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path, pending_path = p["path"], p["path"] + ".pending"
    directory = os.path.dirname(path) or "."
    lock = None
    try:
        if os.path.isdir(directory):
            # The directory itself is the lock: no lock file is left behind.
            lock = os.open(directory, os.O_RDONLY)
            fcntl.flock(lock, fcntl.LOCK_EX)
        old_text, old_pending_text = read(path), read(pending_path)
        record, pending = load(old_text, path) or {}, load(old_pending_text, pending_path)
        after = plan(record, pending, p["state"], p["record"], p["pending"], p["set_pending"], p["clear_pending"])
        new_text = dump(after["record"]) if after["record"] or old_text is not None else None
        if after["record"] == record and old_text is not None:
            new_text = old_text  # same content: leave the file as it is
        new_pending_text = old_pending_text if after["pending"] == pending else dump(after["pending"])
        changed = new_text != old_text or new_pending_text != old_pending_text
        if changed and not module.check_mode:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            if new_text != old_text:
                write(path, new_text)
            if new_pending_text != old_pending_text:
                write(pending_path, new_pending_text)
    except RecordError as e:
        module.fail_json(msg=str(e))
    except OSError as e:
        module.fail_json(msg="cannot update %s: %s" % (path, e))
    finally:
        if lock is not None:
            os.close(lock)
    result = dict(changed=changed, record=after["record"] if after["record"] else p["default"],
                  pending=after["pending"], is_pending=after["pending"] is not None, resumed=after["resumed"])
    if module._diff:
        result["diff"] = [dict(before=old_text or "", after=new_text or "", before_header=path, after_header=path),
                          dict(before=old_pending_text or "", after=new_pending_text or "",
                               before_header=pending_path, after_header=pending_path)]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
