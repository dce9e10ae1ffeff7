# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure logic of the oar.oar3.oar_conf module: read and edit OAR's oar.conf.

oar.conf has three readers that must all see the values we write:
OAR2's Perl (OAR/Conf.pm), OAR3's Python (oar.lib.configuration) and bash
scripts that source the file (oarsh, oar_resources_init). We write only
``KEY="VALUE"`` lines whose VALUE reads the same in all three, and refuse
anything else. No I/O and no Ansible imports here, so it is unit-testable.
"""

from __future__ import annotations

import collections
import math
import re

MASK = '********'

# OAR2's Conf.pm: an assignment line, then one matching pair of quotes
# stripped from the value. A leading '#' never matches, nor 'export KEY=v'
# (the key part cannot contain a space). ASCII: Perl's \s on bytes.
_PERL_LINE = re.compile(r'^\s*([^#=\s]+)\s*=\s*([^#]*)', re.ASCII)
_PERL_RAW_VALUE = re.compile(r'\s*([^#]*)', re.ASCII)  # what follows '='
_PERL_QUOTES = re.compile(r'^(["\']?)(.+)\1\s*$', re.ASCII)
# Documented defaults: '#KEY="v"', '# KEY = v', '##KEY=v'.
_COMMENTED = re.compile(r'^\s*#+\s*([A-Za-z_][A-Za-z0-9_]*)\s*=', re.ASCII)
# Bash-only lines: OAR2 ignores them, OAR3 reads them as key 'export KEY'.
_EXPORT = re.compile(r'^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=', re.ASCII)
# Any line assigning a key, active or not; used to mask secrets.
_ANY_ASSIGNMENT = re.compile(r'^(\s*(?:#+\s*)?(?:export\s+)?([^#=\s]+)\s*=)', re.ASCII)

_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')  # \Z: '$' would accept a final newline
_SECRET_KEY = re.compile(r'PASSWD|PASSWORD|SECRET|TOKEN', re.IGNORECASE)
_PRINTABLE_ASCII = re.compile(r'[\x20-\x7e]*\Z')
# What bash expands or ends a "..." string with, and where OAR2 and OAR3
# cut the line.
_SHELL_OR_COMMENT = re.compile(r'["#$`\\]')

Plan = collections.namedtuple('Plan', 'text changed_keys previous collapsed_keys warnings')


class OarConfError(Exception):
    """The request breaks a rule; the message names keys and rules, never values."""


def is_secret(key):
    """True when the key's value must never be shown (passwords, tokens)."""
    return bool(_SECRET_KEY.search(key))


def split_lines(text):
    """Lines with their '\\n'; only '\\n' ends a line, as for Perl and bash."""
    parts = text.split('\n')
    lines = [part + '\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _body(line):
    return line[:-1] if line.endswith('\n') else line


def _perl_value(raw):
    quoted = _PERL_QUOTES.match(raw)
    # No match only for an empty value: Perl then keeps the raw value.
    return quoted.group(2) if quoted else raw


def perl_read_line(line):
    """(key, value) as OAR2's Perl reads the line, or (None, None)."""
    match = _PERL_LINE.match(_body(line))
    if not match:
        return None, None
    return match.group(1), _perl_value(match.group(2))


def oar3_convert(value):
    """What OAR3's try_convert_decimal makes of a value string."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def render_value(value):
    """The text written for a settings value, or None for an unsupported type."""
    if isinstance(value, bool):  # before int: bool is an int
        return 'yes' if value else 'no'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def value_errors(value):
    """Rules the rendered value breaks (empty list: safe for all three readers)."""
    if value == '':
        return ['empty value; use absent to remove a key']
    errors = []
    if _SHELL_OR_COMMENT.search(value):
        errors.append('value contains one of " # $ ` \\ (bash would expand it, or OAR would cut the line there)')
    if not _PRINTABLE_ASCII.match(value):
        errors.append('value contains a non-printable or non-ASCII character (newline, tab, NUL, ...)')
    if value[0] in " '" or value[-1] in " '":
        errors.append('value starts or ends with a space or a single quote (OAR3 strips them)')
    number = oar3_convert(value)
    if isinstance(number, float) and not math.isfinite(number):
        errors.append('OAR3 would read the value as a non-finite number (nan, inf)')
    elif not isinstance(number, str) and str(number) != value:
        errors.append('OAR3 would read the value as a number that prints differently '
                      '(as 007 reads 7, 1e3 reads 1000.0): write the number in plain form')
    return errors


def check_request(settings, absent, remove=()):
    """Validated {KEY: text to write}; raises OarConfError listing every broken rule."""
    errors = []
    values = {}
    for key in list(settings) + list(absent) + list(remove):
        if not isinstance(key, str) or not _KEY.match(key):
            errors.append('key %r: not a valid name (^[A-Za-z_][A-Za-z0-9_]*$)' % (key,))
    lists = (('settings', settings), ('absent', absent), ('remove', remove))
    for i, (name_a, a) in enumerate(lists):
        for name_b, b in lists[i + 1:]:
            for key in sorted(set(a) & set(b), key=str):
                errors.append('%s: in both %s and %s' % (key, name_a, name_b))
    for key, value in settings.items():
        text = render_value(value)
        if text is None:
            errors.append('%s: value of type %s; give a string, an integer or a boolean '
                          '(quote a decimal number to write it as is)' % (key, type(value).__name__))
            continue
        errors.extend('%s: %s' % (key, error) for error in value_errors(text))
        values[key] = text
    if errors:
        raise OarConfError('oar.conf left unchanged: ' + '; '.join(errors))
    return values


def _rewrite(line, key, value):
    """The active line set to KEY="VALUE", keeping its indentation and a trailing comment."""
    body = _body(line)
    match = _PERL_LINE.match(body)
    head = body[:match.end()]
    comment = body[match.end():]  # '' or starts at the first '#'
    gap = head[len(head.rstrip()):]
    # bash starts a comment only at a '#' after whitespace; other tails go.
    tail = gap + comment if comment and gap else ''
    return '%s%s="%s"%s%s' % (body[:match.start(1)], key, value, tail, line[len(body):])


def _comment_out(line):
    """'#' right before the key, so the line reads '#KEY="old"'."""
    body = _body(line)
    indent = len(body) - len(body.lstrip())
    return line[:indent] + '#' + line[indent:]


def plan(text, settings, absent, remove=()):
    """Plan the edit of an oar.conf text; returns a Plan, raises OarConfError.

    Keys of absent get their active lines commented out; keys of remove get
    them deleted (the inverse of adding a key, so an undo is byte for byte).

    Plan.text is the new text (equal to text when nothing changes),
    changed_keys and collapsed_keys are sorted lists, previous maps each
    requested key to its old value as OAR2 reads it (None if no active
    line; secrets masked), warnings are messages for the user.
    """
    values = check_request(settings, absent, remove)
    lines = split_lines(text)
    active, commented, exported = {}, {}, set()
    for index, line in enumerate(lines):
        key = perl_read_line(line)[0]
        if key is not None:
            active.setdefault(key, []).append(index)
            continue
        match = _COMMENTED.match(line)
        if match:
            commented.setdefault(match.group(1), []).append(index)
        match = _EXPORT.match(line)
        if match:
            exported.add(match.group(1))

    previous = {}
    for key in list(values) + list(absent) + list(remove):
        old = perl_read_line(lines[active[key][-1]])[1] if key in active else None  # last one wins
        previous[key] = MASK if old is not None and is_secret(key) else old

    new_lines = list(lines)  # None: line dropped
    inserts = {}  # index of the line to insert after (-1: top of an empty file) -> new lines
    changed, collapsed, warnings = set(), [], []
    for key, value in values.items():
        if key in exported:
            warnings.append('%s: left the "export %s=..." line untouched; bash scripts that source '
                            'oar.conf may read that value instead' % (key, key))
        indexes = active.get(key)
        if indexes:
            first = indexes[0]
            new_lines[first] = _rewrite(lines[first], key, value)
            for index in indexes[1:]:
                new_lines[index] = None
            if len(indexes) > 1:
                collapsed.append(key)
            if new_lines[first] != lines[first] or len(indexes) > 1:
                changed.add(key)
        else:
            # Right after the documented default, else at the end.
            after = commented[key][-1] if key in commented else len(lines) - 1
            inserts.setdefault(after, []).append('%s="%s"\n' % (key, value))
            changed.add(key)
    for key in absent:
        for index in active.get(key, []):
            new_lines[index] = _comment_out(lines[index])
            changed.add(key)
    for key in remove:
        for index in active.get(key, []):
            new_lines[index] = None
            changed.add(key)

    out = []
    for index in range(-1, len(lines)):
        if index >= 0 and new_lines[index] is not None:
            out.append(new_lines[index])
        if index in inserts:
            if out and not out[-1].endswith('\n'):
                out[-1] += '\n'
            out.extend(inserts[index])
    return Plan(''.join(out), sorted(changed), previous, sorted(collapsed), warnings)


def mask_text(text):
    """The text with the value of every secret key's line (active, commented, export) masked."""
    out = []
    for line in split_lines(text):
        match = _ANY_ASSIGNMENT.match(line)
        if match and is_secret(match.group(2)):
            line = '%s"%s"%s' % (match.group(1), MASK, line[len(_body(line)):])
        out.append(line)
    return ''.join(out)


def secret_values(text):
    """Values of secret keys found in the text, active or commented, as OAR2 would read them."""
    found = set()
    for line in split_lines(text):
        match = _ANY_ASSIGNMENT.match(line)
        if match and is_secret(match.group(2)):
            value = _perl_value(_PERL_RAW_VALUE.match(_body(line)[match.end():]).group(1))
            # '""' is how OAR2 reads an empty password: nothing to hide.
            if value and value.strip('"\' \t'):
                found.add(value)
    return found


def secret_strings(settings):
    """Strings to hide for the secret keys of a settings dict, whatever their type."""
    found = set()
    pending = [value for key, value in settings.items() if is_secret(str(key))]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            pending.extend(value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            found.add(str(value))
    return found
