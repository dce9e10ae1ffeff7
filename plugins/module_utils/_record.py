# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The before-image of a role's change: the record and the pending state.

The record holds what the role replaced before its FIRST change (state=absent
puts it back); later runs only add what it lacks, never overwrite it. The
pending state holds what one change replaced until a scheduling round proves
it: a run interrupted between the change and its proof leaves it behind, and
the next run checks that round again or puts it back. Pure logic here; the
module oar_record does the file I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json


class RecordError(Exception):
    pass


def _is_named_list(value):
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def merge_missing(record, new):
    """record plus what new has and record lacks. Keys already there keep
    their value, even null; a list of named items gains the names it lacks."""
    merged = copy.deepcopy(record)
    for key, value in (new or {}).items():
        if key not in merged:
            merged[key] = copy.deepcopy(value)
        elif _is_named_list(merged[key]) and _is_named_list(value):
            known = set(i["name"] for i in merged[key])
            merged[key] += [copy.deepcopy(i) for i in value if i["name"] not in known]
    return merged


def plan(record, pending, state="present", merge=None, new_pending=None, set_pending=False, clear_pending=False):
    """What the files must hold after the call.

    record: the record on file ({} when none); pending: the pending state on
    file (None when none). Returns dict(record, pending, resumed): resumed is
    True when a pending state from an earlier, unfinished run is on file.
    An existing pending state is never replaced: it holds what the FIRST
    change replaced."""
    if state == "absent":
        return dict(record=None, pending=None, resumed=pending is not None)
    if set_pending and new_pending is None:
        raise RecordError("set_pending needs pending: what the change replaces.")
    after = merge_missing(record, merge) if merge else record
    after_pending = pending
    if clear_pending:
        after_pending = None
    elif set_pending and pending is None:
        after_pending = copy.deepcopy(new_pending)
    return dict(record=after, pending=after_pending, resumed=pending is not None)


def dump(value):
    """The file text of a record or pending state (None: no file)."""
    return None if value is None else json.dumps(value, indent=4, sort_keys=True) + "\n"


def load(text, path):
    """Parse a file's text; a damaged file is an error that names it."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise RecordError("%s is not valid JSON (%s): it holds what the role replaced; repair it or move it away "
                          "after checking the server by hand." % (path, e))
    if _is_named_list(value):
        # The pending state of kamelot 0.1.0: the list of queues.
        value = {"queues": value}
    if not isinstance(value, dict):
        raise RecordError("%s does not hold a JSON object." % path)
    return value
