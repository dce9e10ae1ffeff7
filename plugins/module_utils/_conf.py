# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of the oar.oar3.oar_conf module: read and edit OAR's oar.conf.

oar.conf has three readers that must all see the values we write:
OAR2's Perl (OAR/Conf.pm), OAR3's Python (oar.lib.configuration) and bash
scripts that source the file as root (oarsh, oar_resources_init). We write
only ``KEY="VALUE"`` lines whose VALUE reads the same in all three, we leave
only files in which bash runs nothing, and refuse anything else. No I/O and
no Ansible imports here, so it is unit-testable.
"""

from __future__ import annotations

import collections
import functools
import json
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

MASK = '********'
# Stands for a key that holds a secret itself ('DB_BASE_PASSWD=x') in the
# arguments: not a name and naming a secret, so check_request refuses it and
# says what it was.
SECRET_KEY_MASK = 'a key naming a secret (not shown)'
# Largest oar.conf accepted (Debian's stock file is about 35 kB).
MAX_SIZE = 1024 * 1024
MAX_SIZE_TEXT = '1 MiB'

# OAR2's Conf.pm: an assignment line, then one matching pair of quotes
# stripped from the value. A leading '#' never matches, nor 'export KEY=v'
# (the key part cannot contain a space). ASCII: Perl's \s on bytes.
_PERL_LINE = re.compile(r'^\s*([^#=\s]+)\s*=\s*([^#]*)', re.ASCII)
_PERL_QUOTES = re.compile(r'^(["\']?)(.+)\1\s*$', re.ASCII)
# Documented defaults: '#KEY="v"', '# KEY = v', '##KEY=v'.
_COMMENTED = re.compile(r'^\s*#+\s*([A-Za-z_][A-Za-z0-9_]*)\s*=', re.ASCII)

_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')  # \Z: '$' would accept a final newline
_SECRET_KEY = re.compile(r'PASSWD|PASSWORD|SECRET|TOKEN', re.IGNORECASE)
# A whole word that names a secret, wherever it stands on a line.
_SECRET_WORD = re.compile(r'[A-Za-z0-9_]*(?:PASSWD|PASSWORD|SECRET|TOKEN)[A-Za-z0-9_]*', re.IGNORECASE)
_PRINTABLE_ASCII = re.compile(r'[\x20-\x7e]*\Z')
# What bash expands or ends a "..." string with, and where OAR2 and OAR3
# cut the line.
_SHELL_OR_COMMENT = re.compile(r'["#$`\\]')

# ---------------------------------------------------------------- bash

# Lines bash runs nothing for, the only ones this module leaves in the file:
# blank, a comment, or one assignment NAME=WORD (after 'export ' or not),
# optionally followed by blanks and a comment. Bash's blanks are only space
# and tab: NBSP, \v, \f... are word characters for it. WORD is made of
# characters that are neither blank nor special to bash, "..." strings
# without $ ` \ and '...' strings. Assignment words get no brace, glob or
# word-splitting expansion, so * ? [ { are plain characters there.
_BASH_UNQUOTED = r'''[^\s|&;()<>"'\\$`]'''
_BASH_WORD = r'''(?:%s|"[^"\\$`]*"|'[^']*')*''' % _BASH_UNQUOTED
_BASH_ASSIGNMENT = re.compile(r'[ \t]*(export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(%s)(?:[ \t]+(?:#.*)?)?\Z' % _BASH_WORD,
                              re.DOTALL)
_BASH_COMMENT = re.compile(r'[ \t]*(?:#.*)?\Z', re.DOTALL)

# Variables that bash sets itself: `compgen -v` and `readonly -p` of
# `env -i bash --norc --noprofile` (bash 5.2), plus the ones bash 5.3 adds
# (BASH_MONOSECONDS, BASH_TRAPSIG, GLOBSORT). A unit test compares this
# list with the bash it runs on, so it cannot go stale unnoticed.
# Assigning them in oar.conf is refused: bash ignores the assignment
# (BASHPID, GROUPS, FUNCNAME), rewrites the value at once (RANDOM, SRANDOM,
# SECONDS, LINENO, EPOCHSECONDS, HISTCMD, _), fails with an error (the
# readonly BASHOPTS, SHELLOPTS, BASH_VERSINFO, EUID, PPID, UID), changes
# how bash runs the rest of the file and the script that sourced it (IFS,
# PATH, PS4, BASH_ALIASES and BASH_CMDS define aliases and hashed commands,
# BASH_ARGV0 sets $0, OPTIND and OPTERR drive getopts) or lies to that
# script about the shell it runs in (BASH, SHELL, HOSTNAME, PWD, SHLVL...).
BASH_SETS = frozenset('''
    BASH BASHOPTS BASHPID BASH_ALIASES BASH_ARGC BASH_ARGV BASH_ARGV0 BASH_CMDS BASH_COMMAND
    BASH_EXECUTION_STRING BASH_LINENO BASH_LOADABLES_PATH BASH_MONOSECONDS BASH_SOURCE BASH_SUBSHELL
    BASH_TRAPSIG BASH_VERSINFO BASH_VERSION COMP_WORDBREAKS DIRSTACK EPOCHREALTIME EPOCHSECONDS EUID
    GLOBSORT GROUPS HISTCMD HOSTNAME HOSTTYPE IFS LINENO MACHTYPE OPTERR OPTIND OSTYPE PATH PPID PS4 PWD
    RANDOM SECONDS SHELL SHELLOPTS SHLVL SRANDOM TERM UID _
'''.split())
# Variables bash reads but does not set in a clean environment (bash(1),
# "Shell Variables"). Refused too, because each changes how bash parses or
# runs what follows or what the sourcing script does next: BASH_ENV and ENV
# are sourced by every bash the script starts, POSIXLY_CORRECT and
# BASH_COMPAT switch the shell's mode, BASH_XTRACEFD, PS0-PS3 and
# PROMPT_COMMAND run or redirect things, CDPATH, HOME, GLOBIGNORE,
# EXECIGNORE, FIGNORE, TMPDIR, LANG and LC_* (also by prefix) change how
# later commands, tildes, globs and multibyte text are handled, TMOUT makes
# `read` time out, and the HIST*, MAIL*, READLINE_* and completion ones
# belong to the interactive shell.
BASH_READS = frozenset('''
    BASH_COMPAT BASH_ENV BASH_XTRACEFD CDPATH CHILD_MAX COLUMNS COPROC EMACS ENV EXECIGNORE FCEDIT FIGNORE
    FUNCNEST GLOBIGNORE HISTCONTROL HISTFILE HISTFILESIZE HISTIGNORE HISTSIZE HISTTIMEFORMAT HOME HOSTFILE
    IGNOREEOF INPUTRC INSIDE_EMACS LANG LC_ALL LC_COLLATE LC_CTYPE LC_MESSAGES LC_NUMERIC LC_TIME LINES
    MAIL MAILCHECK MAILPATH MAPFILE OLDPWD OPTARG POSIXLY_CORRECT PROMPT_COMMAND PROMPT_DIRTRIM PS0 PS1
    PS2 PS3 READLINE_ARGUMENT READLINE_LINE READLINE_MARK READLINE_POINT REPLY TEXTDOMAIN TEXTDOMAINDIR
    TIMEFORMAT TMOUT TMPDIR auto_resume histchars
'''.split())
_BASH_PREFIXES = ('BASH_', 'LC_', 'COMP_', 'READLINE_')


def is_bash_special(key):
    """True for a variable bash sets, reads or reserves (see BASH_SETS and BASH_READS)."""
    return key in BASH_SETS or key in BASH_READS or key.startswith(_BASH_PREFIXES)


_ASCII_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')
_ODD_CATEGORIES = frozenset(['Cc', 'Cf', 'Cs', 'Zl', 'Zp', 'Zs'])


def _odd_character(text):
    """True when text holds a character the three readers could split or strip differently.

    Control characters but tab (bash drops NUL, Perl keeps it), Unicode
    spaces other than space (OAR3's str.strip removes them, Perl and bash do
    not), line and paragraph separators, format characters (BOM, zero
    width, bidirectional controls) and lone surrogates.
    """
    if _ASCII_CONTROL.search(text):
        return True
    if text.isascii():
        return False
    for char in text:
        if ord(char) > 0x7e and (char.isspace() or unicodedata.category(char) in _ODD_CATEGORIES):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def bash_assignment(line):
    """(exported, name) of a line bash reads as one inert assignment, or None."""
    body = _body(line)
    if _odd_character(body):
        return None
    match = _BASH_ASSIGNMENT.match(body)
    return (bool(match.group(1)), match.group(2)) if match else None


def bash_inert(line):
    """True for a blank line, a comment or an assignment that runs nothing in bash."""
    body = _body(line)
    return bool(_BASH_COMMENT.match(body)) or bash_assignment(line) is not None


# ---------------------------------------------------------------- lines


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


def oar3_read_line(line):
    """(key, raw value) as OAR3 3.0.x's Configuration.load_file reads one line, or (None, None).

    Cut at the first '#', then at the first '='; the key is stripped of
    whitespace, the value of whitespace and then of quotes, both with
    Python's str.strip (any Unicode whitespace).
    """
    line = line.split('#', 1)[0]
    if '=' not in line:
        return None, None
    key, value = line.split('=', 1)
    return key.strip(), value.strip().strip('"\'')


def oar3_convert(value):
    """What OAR3 3.0.x's try_convert_decimal makes of a value string.

    3.0.1 and 3.0.2 ask Decimal first: a string Decimal refuses stays a
    string; one it accepts becomes int(value), else float(value), else
    None (Decimal takes 'sNaN' and 'NaN12', which neither int nor float do).
    """
    try:
        Decimal(value)
    except InvalidOperation:
        return value
    for convert in (int, float):
        try:
            return convert(value)
        except (ValueError, OverflowError):
            pass
    return None


def render_value(value):
    """The text written for a settings value, or None for an unsupported type."""
    if isinstance(value, bool):  # before int: bool is an int
        return 'yes' if value else 'no'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


# ---------------------------------------------------------------- database URL

# OAR3 builds its database URL from these without escaping.
DB_URL_KEYS = ('DB_BASE_LOGIN', 'DB_BASE_PASSWD', 'DB_BASE_LOGIN_RO', 'DB_BASE_PASSWD_RO')
# Characters that end or change a part of that URL.
DB_URL_BREAKERS = '@%:/?#'


def db_url_problem(key, value):
    """The message for a DB credential OAR3 cannot use, or None; it never holds the value.

    Shared by oar_conf (which refuses to write it) and oar_preflight (which
    finds it in the file).
    """
    if key not in DB_URL_KEYS:
        return None
    bad = sorted(set(str(value)) & set(DB_URL_BREAKERS))
    if not bad:
        return None
    return ("%s contains %s, which OAR3 cannot use: it builds its database URL from it without "
            "escaping (OAR2 does not mind). Change it (in oar.conf and PostgreSQL) first."
            % (key, " and ".join("'%s'" % c for c in bad)))


# ---------------------------------------------------------------- request


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
    if number is None:
        errors.append('OAR3 would read the value as nothing (None): its Decimal accepts it (sNaN, NaN12), '
                      'int and float do not')
    elif isinstance(number, float) and not math.isfinite(number):
        errors.append('OAR3 would read the value as a non-finite number (nan, inf)')
    elif not isinstance(number, str) and str(number) != value:
        errors.append('OAR3 would read the value as a number that prints differently '
                      '(as 007 reads 7, 1e3 reads 1000.0): write the number in plain form')
    return errors


def _key_name(key):
    # A key that is not a name may be a pasted 'PASSWD=value': never show it.
    if isinstance(key, str) and is_secret(key):
        return SECRET_KEY_MASK
    return 'key %r' % (key,)


def check_request(settings, absent, remove=()):
    """Validated {KEY: text to write}; raises OarConfError listing every broken rule."""
    errors = []
    values = {}
    for key in list(settings) + list(absent) + list(remove):
        if not isinstance(key, str) or not _KEY.match(key):
            errors.append('%s: not a valid name (^[A-Za-z_][A-Za-z0-9_]*$)' % _key_name(key))
    for key in settings:
        if isinstance(key, str) and _KEY.match(key) and is_bash_special(key):
            errors.append('%s: a variable that bash sets or reads itself (bash, which sources oar.conf, '
                          'would ignore, rewrite or refuse it, or change how it runs)' % key)
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
        problem = db_url_problem(key, text)
        if problem:
            errors.append(problem)
        values[key] = text
    if errors:
        raise OarConfError('oar.conf left unchanged: ' + '; '.join(errors))
    return values


# ---------------------------------------------------------------- file


def decode(data):
    """The text of oar.conf's bytes; raises OarConfError naming the lines that are not UTF-8.

    OAR3 reads the file as strict UTF-8 and cannot start on any other byte.
    """
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        pass
    bad = []
    for number, line in enumerate(data.split(b'\n'), 1):
        try:
            line.decode('utf-8')
        except UnicodeDecodeError:
            bad.append(number)
    raise OarConfError('oar.conf left unchanged: %s not valid UTF-8 (OAR3 reads oar.conf as strict UTF-8 '
                       'and cannot start): fix the file first' % _lines_are(bad))


def _lines(numbers):
    shown = ', '.join(str(n) for n in numbers[:10]) + (', ...' if len(numbers) > 10 else '')
    return ('line %s' if len(numbers) == 1 else 'lines %s') % shown


def _lines_are(numbers):
    return _lines(numbers) + (' is' if len(numbers) == 1 else ' are')


def file_problems(text, written=()):
    """What makes the readers disagree on the text, or bash run something; [] when none.

    written maps each key this module writes to the index of its line in
    the text: no later line may set it again for one of the readers.
    Messages name lines and keys, never their contents.
    """
    lines = split_lines(text)
    carriage, shapes, special = [], [], {}
    for number, line in enumerate(lines, 1):
        if '\r' in line:
            carriage.append(number)
        elif not bash_inert(line):
            shapes.append(number)
        else:
            assigned = bash_assignment(line)
            if assigned and is_bash_special(assigned[1]):
                special.setdefault(assigned[1], []).append(number)
    problems = []
    if carriage:
        problems.append('%s %s a carriage return (OAR3 reads it as a line end, OAR2 and bash do not)'
                        % (_lines(carriage), 'has' if len(carriage) == 1 else 'have'))
    if shapes:
        problems.append('%s neither blank, a comment nor one plain KEY=value assignment: bash, which sources '
                        'oar.conf, would run it or read it differently from OAR2 and OAR3; fix it by hand'
                        % _lines_are(shapes))
    for name, numbers in sorted(special.items()):
        problems.append('%s: set on %s, a variable that bash sets or reads itself; remove it'
                        % (name, _lines(numbers)))
    written = dict(written)
    first = min(written.values()) if written else len(lines)
    readings = {}  # line index -> (OAR2's key, OAR3's key, bash's key) of the lines after the first written
    for number in range(first + 1, len(lines)):
        assigned = bash_assignment(lines[number])
        readings[number] = (perl_read_line(lines[number])[0], oar3_read_line(lines[number])[0],
                            assigned[1] if assigned else None)
    for key, index in sorted(written.items()):
        for number in range(index + 1, len(lines)):
            readers = [reader for reader, read in zip(('OAR2', 'OAR3', 'bash'), readings[number]) if read == key]
            if readers:
                problems.append('%s: line %d sets it again for %s after the line written (an export line?): '
                                'remove that line or move it before' % (key, number + 1, ' and '.join(readers)))
    return problems


# ---------------------------------------------------------------- edit


def _rewrite(line, key, value):
    """The active line set to KEY="VALUE", keeping its indentation and a trailing comment."""
    body = _body(line)
    match = _PERL_LINE.match(body)
    indent = body[:match.start(1)]
    if indent.strip(' \t'):
        indent = ''  # \v, \f or \r: not blanks for bash
    head = body[:match.end()]
    comment = body[match.end():]  # '' or starts at the first '#'
    gap = head[len(head.rstrip()):]
    tail = ''
    # bash starts a comment only at a '#' after a space or a tab: another
    # blank before it (NBSP, \v, \f) would leave the comment a command.
    if comment and gap:
        tail = (gap if not gap.strip(' \t') else ' ') + comment
    return '%s%s="%s"%s%s' % (indent, key, value, tail, line[len(body):])


def _comment_out(line):
    """'#' right before the key, so the line reads '#KEY="old"'."""
    body = _body(line)
    indent = len(body) - len(body.lstrip(' \t'))
    return line[:indent] + '#' + line[indent:]


def plan(text, settings, absent, remove=()):
    """Plan the edit of an oar.conf text; returns a Plan, raises OarConfError.

    Keys of absent get their active lines commented out; keys of remove get
    them deleted (the inverse of adding a key, so an undo is byte for byte).

    Plan.text is the new text (equal to text when nothing changes),
    changed_keys and collapsed_keys are sorted lists, previous maps each
    requested key to its old value as OAR2 reads it (None if no active
    line; secrets masked), warnings are messages for the user.

    The new text is checked as a whole (file_problems): a request on a file
    the three readers would read differently, or in which bash would run
    something, is refused even if it changes nothing.
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
        assigned = bash_assignment(line)
        if assigned and assigned[0]:
            exported.add(assigned[1])

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
    written = {}
    for index, line in enumerate(out):
        key = perl_read_line(line)[0]
        if key in values:
            written[key] = index  # its only active line, after the collapse
    new_text = ''.join(out)
    problems = file_problems(new_text, written)
    if problems:
        raise OarConfError('oar.conf left unchanged: ' + '; '.join(problems))
    return Plan(new_text, sorted(changed), previous, sorted(collapsed), warnings)


# ---------------------------------------------------------------- secrets


def _mask_start(line):
    """Where the secret part of a line starts, or None.

    Whatever the shape (KEY=, export/declare -x/typeset/readonly/local KEY=,
    KEY+=, KEY[0]=, set KEY=, "KEY"=, commented or not, any indentation):
    after a word naming a secret, everything from the next '=' on. On a line
    bash would run as a command (printf -v KEY value, read KEY), a secret
    word followed by more text hides that text too.
    """
    body = _body(line)
    if not _SECRET_KEY.search(body):
        return None
    for match in _SECRET_WORD.finditer(body):
        equal = body.find('=', match.end())
        if equal != -1:
            return equal + 1
        if body[match.end():].strip() and not bash_inert(line):
            return match.end()
    return None


def _bash_state(text, state=None):
    """The quoting state bash is in at the end of text: None, "'", '"' or '\\' (a line continued)."""
    previous = ' '
    index = 0
    while index < len(text):
        char = text[index]
        if state == "'":
            if char == "'":
                state = None
        elif state == '"':
            if char == '\\':
                index += 1
            elif char == '"':
                state = None
        elif char == '\\':
            if index == len(text) - 1:
                return '\\'
            index += 1
        elif char in '"\'':
            state = char
        elif char == '#' and previous in ' \t':
            return None  # a comment to the end of the line
        previous = char
        index += 1
    return None if state == '\\' else state


def _masked_regions(text):
    """(lines, [(line index, start of the hidden part)]) for each line holding a secret, in order."""
    regions = []
    lines = split_lines(text)
    state = None  # set when a hidden value goes on to the next line
    for index, line in enumerate(lines):
        body = _body(line)
        if state is not None:
            regions.append((index, 0))
            state = _bash_state(body, None if state == '\\' else state)
            continue
        start = _mask_start(line)
        if start is None:
            continue
        regions.append((index, start))
        if not _BASH_COMMENT.match(body):
            state = _bash_state(body)
    return lines, regions


def mask_text(text):
    """The text with the value of every secret-named assignment masked, whatever its shape."""
    lines, regions = _masked_regions(text)
    for index, start in regions:
        line = lines[index]
        body = _body(line)
        lines[index] = '%s"%s"%s' % (body[:start], MASK, line[len(body):])
    return ''.join(lines)


def secret_values(text):
    """Strings to hide: the values of secret-named assignments in the text, as each reader could read them."""
    found = set()
    lines, regions = _masked_regions(text)
    for index, start in regions:
        raw = _body(lines[index])[start:]
        readings = {raw, raw.strip(), raw.split('#', 1)[0].strip(), _perl_value(raw.split('#', 1)[0].strip()),
                    raw.split('#', 1)[0].strip().strip('"\''), raw.strip().strip('"\'')}
        if not bash_inert(lines[index]):
            # A command (read KEY <<< value, printf -v KEY value): any of its words may be the value.
            readings.update(word.strip('"\'') for word in raw.split() if re.search(r'\w', word))
        for value in readings:
            # '""' is how OAR2 reads an empty password: nothing to hide.
            if value and value.strip('"\' \t'):
                found.add(value)
    return found


def _scalars(value, found):
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            pending.extend(value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            found.add(str(value))


def _secrets_in_string(text, found):
    """A string that names a secret ('DB_BASE_PASSWD=x', JSON, k=v lists): hide it and the values in it.

    A bare name ('DB_BASE_PASSWD' in absent) holds no secret and stays visible.
    """
    # A bare name, or the mask that stands for a masked key, holds no secret.
    if not _SECRET_KEY.search(text) or _KEY.match(text) or text.rstrip('*') == SECRET_KEY_MASK:
        return
    found.add(text)
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, (dict, list)):
        _walk(decoded, found)
    for match in _SECRET_WORD.finditer(text):
        rest = re.split(r'[\s,]+', text[match.end():].lstrip(' \t=:"\''), maxsplit=1)[0].strip('"\'')
        if rest:
            found.add(rest)


def _walk(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and is_secret(key):
                _scalars(item, found)
                if not _KEY.match(key):
                    _secrets_in_string(key, found)
            else:
                _walk(item, found)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _walk(item, found)
    elif isinstance(value, str):
        _secrets_in_string(value, found)


def secret_strings(params):
    """Strings to hide in module parameters: every value under a secret-named key, at any depth.

    Also strings that name a secret themselves (settings given as
    'DB_BASE_PASSWD=x' or as JSON, a key such as 'DB_BASE_PASSWD=x'), so
    that they are masked on every path, argument errors included.
    """
    found = set()
    _walk(params, found)
    return found


def mask_secret_keys(value):
    """The value with every mapping key that is not a plain name but names a secret replaced by a mask.

    A key such as 'DB_BASE_PASSWD=x' holds the secret itself, and Ansible
    masks values, never keys, when it returns the arguments.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret(key) and not _KEY.match(key):
                key = SECRET_KEY_MASK
                while key in value or key in out:
                    key += '*'
            out[key] = mask_secret_keys(item)
        return out
    if isinstance(value, list):
        return [mask_secret_keys(item) for item in value]
    return value


# ---------------------------------------------------------------- temporary files

TEMP_MARK = '.oar3-tmp-'
_TEMP_SUFFIX = re.compile(r'[a-z0-9_]{8}\Z')


def temp_name(name, token):
    """The name of the temporary file through which name is written: '.NAME.oar3-tmp-XXXXXXXX'."""
    return '.%s%s%s' % (name, TEMP_MARK, token)


def is_temp_name(name, candidate):
    """True when candidate is a temporary file of name's, as temp_name makes them."""
    prefix = '.%s%s' % (name, TEMP_MARK)
    return candidate.startswith(prefix) and bool(_TEMP_SUFFIX.match(candidate[len(prefix):]))
