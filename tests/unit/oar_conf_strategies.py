# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hypothesis strategies for oar.conf files and oar_conf requests, benign and hostile.

Each case is built by a small grammar from bytes that hypothesis generates
(st.binary): every decision of the grammar takes the next byte, and bytes
running out mean the first, plainest choice. Hypothesis draws one byte
string per case instead of dozens of values, so 10,000 cases cost well
under a second to generate, and shrinking a byte string (shorter, smaller
bytes) still gives a simpler case.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

# Keys the file and the request share often, so that requests hit existing lines.
POOL = ['LOG_LEVEL', 'META_SCHED_CMD', 'HIERARCHY_LABELS', 'DB_BASE_PASSWD', 'DB_BASE_PASSWD_RO', 'DB_BASE_LOGIN',
        'API_TOKEN', 'A', 'K', 'export_me']
SECRET_POOL = ['DB_BASE_PASSWD', 'DB_BASE_PASSWD_RO', 'API_TOKEN', 'MY_SECRET', 'db_password']
SPECIAL_POOL = ['RANDOM', 'SECONDS', 'LINENO', 'PATH', 'IFS', 'HOME', 'UID', 'SHELLOPTS', 'BASH_ENV', 'ENV', 'PS4',
                'POSIXLY_CORRECT', 'BASH_X', 'LC_ALL', '_', 'TMOUT', 'SRANDOM', 'EPOCHSECONDS', 'BASHPID', 'PWD']
BAD_KEYS = ['A-B', '1A', 'A B', '', 'export A', '\u00c9', '#A', 'A\n', 'A=B', 'DB_BASE_PASSWD=S3cX', ' A']
SECRET_MARK = 'S3c'  # every generated secret value starts so: a leak is searched for by it

SAFE = ''.join(c for c in string.printable[:95] if c not in '"#$`\\')
NAME_FIRST = string.ascii_letters + '_'
NAME_REST = string.ascii_letters + string.digits + '_'
UNQUOTED = string.ascii_letters + string.digits + './-_,:@%+=~'
WORDS = ['kao', 'oar_meta_sched', '/usr/lib/oar/kao', 'resource_id,network_address', 'yes', 'no', "it's", 'a b',
         '/usr/bin/ssh -p 6667', 'x=y', '{ default => 25 }', 'network_address/resource_id', '-', '!%&()*+,-./:;<=>?@',
         '0', '6666', '-5', '0.5', '1.0', '-0.0', '12345678901234567890']
NUMBER_WORDS = ['nan', 'NaN', '-nan', 'inf', '-Infinity', 'sNaN', 'NaN12', '-sNaN3', '1_000', '0x10', '1e999', '0.0',
                '-0', '007', '1.50', '.5', '5.', '+5', '\u0661\u0662', 'Inf', '0_0', '1e3', '00', '1E5']
HOSTILE_BITS = list('"#$`\\\' \t\n\r\x00\x0b\x0c') + [
    '\xa0', '\u2003', '\ufeff', '\u2028', '\xe9', '$(id)', '`id`', '${X}', '; id', '\udcff', '\x85', '\u200b']
COMMENT_CHARS = SAFE + '"#$`\\\'\t\xe9\xa0\u2003\x00\x0b\x0c\u202e\ufeff'
INDENTS = ['', ' ', '\t', '  ', '\x0b', '\xa0', '\x0c', '\u3000']
TAILS = ['', ' # why', '\t#c', '#x', '\xa0# c', '\x0b# c', '\x0c#c', '\u2003# c', ' #', ' # c\r', '  # tail',
         ' # $(id)', '\t# `id`']
HOSTILE_TEMPLATES = [
    '%s = %s', 'declare -x %s=%s', 'typeset %s=%s', 'readonly %s=%s', 'local %s=%s', '%s+=%s', 'set %s=%s',
    '%s=%s; id', '%s=%s && id', '%s="%s', '%s=%s\\', '%s\xa0=%s', '\ufeff%s=%s', '%s=%s x', '%s=(%s)',
    'export -n %s=%s', '%s[0]=%s', '%s=$(%s)', '%s=`%s`', 'read %s <<< %s', 'printf -v %s %s', '%s=%s\r',
    '\xa0%s=%s', '%s\x0b=%s', '%s=%s\x00', 'export %s = %s',
]
HOSTILE_LINES = ['id', '$(id)', '`id`', 'echo hi', '\xa0# comment', 'cat /etc/shadow', ':', 'exit 3', '"A"=1',
                 'A=1 B=2', 'if true; then', 'fi', "A='", 'A="x', 'IFS=x', 'PATH=/x', 'RANDOM=1', 'UID=0', 'x\ry',
                 '# c\rA=evil', 'A=1\r', 'cd /', 'true', '\x0c', 'A=1 :', 'alias A=id', 'A() { id; }', 'B=$A']
BAD_BYTES = [b'\xff', b'\xc3(', b'\xed\xa0\x80', b'\xe9', b'\xf0\x28\x8c\x28', b'\xc0\xaf']


class Chooser(object):
    """Decisions taken from bytes; past their end, always the first (plainest) choice."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def byte(self):
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def below(self, n):
        return self.byte() % n if n > 1 else 0

    def pick(self, options):
        return options[self.below(len(options))]

    def chance(self, one_in):
        return self.below(one_in) == one_in - 1

    def text(self, alphabet, low, high):
        return ''.join(self.pick(alphabet) for dummy in range(low + self.below(high - low + 1)))


# ---------------------------------------------------------------- keys and values

def name(c):
    if c.below(3):
        return c.pick(POOL)
    return c.pick(NAME_FIRST) + c.text(NAME_REST, 0, 6)


def key(c, hostile):
    kind = c.below(6 if hostile else 3)
    if kind < 2:
        return c.pick(POOL)
    if kind == 2:
        return c.pick(NAME_FIRST) + c.text(NAME_REST, 0, 6)
    if kind == 3:
        return c.pick(SECRET_POOL)
    return c.pick(SPECIAL_POOL)


def plain(c):
    return c.pick(WORDS) if c.below(2) else c.text(SAFE, 1, 8)


def number(c):
    return ''.join([c.pick(['', '', '-', '+']), c.pick(['0', '1', '7', '42', '6666', '007', '00', '10', '123456']),
                    c.pick(['', '', '', '.', '.0', '.5', '.25', '.50', '.000']),
                    c.pick(['', '', '', '', 'e3', 'E-2', 'e+1', 'e999', 'e0'])])


def value(c, hostile):
    kind = c.below(12 if hostile else 6)
    if kind < 3:
        return plain(c)
    if kind == 3:
        return c.below(2 * 10 ** 20) - 10 ** 20 if c.below(2) else c.byte() * c.byte() - 200
    if kind == 4:
        return bool(c.below(2))
    if kind == 5:
        return c.pick(['0', '6666', '-5', '0.5', '1.0', '-0.0', 'yes', 'kao'])
    if kind == 6:
        return number(c)
    if kind == 7:
        return c.pick(NUMBER_WORDS)
    if kind in (8, 9):
        return ''.join(c.pick(HOSTILE_BITS) if c.below(2) else plain(c) for dummy in range(1 + c.below(4)))
    if kind == 10:
        return plain(c) + c.pick('@%:/?#') + plain(c)
    return c.pick([0.5, None, [1], {'a': 1}, -1.5])


def secret_value(c, hostile):
    kind = c.below(3 if hostile else 1)
    if kind == 0:
        return SECRET_MARK + plain(c).replace("'", '')
    if kind == 1:
        return SECRET_MARK + plain(c) + c.pick('@%:/?#') + plain(c)
    return int('9' + str(10 ** 6 + c.byte() * 7919 + c.byte()))


# ---------------------------------------------------------------- file lines

def quoted(c):
    kind = c.below(3)
    if kind == 0:
        return '"%s"' % plain(c)
    if kind == 1:
        return "'%s'" % plain(c).replace("'", '')
    return c.text(UNQUOTED, 0, 8)


def line(c, hostile):
    kind = c.below(13 if hostile else 8)
    if kind == 0:
        return c.pick(['', '  ', '\t', '# OAR', '#', '###'])
    if kind == 1:
        return '#' + c.text(COMMENT_CHARS if hostile else SAFE + '"#$`\\\'', 0, 12)
    if kind == 2:
        return '#%s=%s' % (name(c), quoted(c))
    if kind == 3:
        return '%s%s=%s%s' % (c.pick(INDENTS if hostile else INDENTS[:3]), name(c), quoted(c),
                              c.pick(TAILS if hostile else TAILS[:4]))
    if kind == 4:
        return '%s=%s' % (name(c), quoted(c))
    if kind == 5:
        return 'export %s=%s' % (name(c), quoted(c))
    if kind == 6:
        return '%s="%s"' % (c.pick(SECRET_POOL), secret_value(c, False))
    if kind == 7:
        return '%s%s=%s' % (c.pick(['#', '# declare -x ', '#typeset ', '\t# readonly ', '#local ', '#set ', '# ']),
                            c.pick(SECRET_POOL), secret_value(c, False))
    if kind == 8:
        return '# %s = %s' % (name(c), plain(c))
    if kind in (9, 10):
        return c.pick(HOSTILE_TEMPLATES) % (c.pick(SECRET_POOL) if c.below(3) == 0 else name(c),
                                            c.text(UNQUOTED, 0, 8))
    if kind == 11:
        return c.pick(HOSTILE_LINES)
    return c.text(COMMENT_CHARS + '=\n', 0, 10)


def conf_file(c, hostile):
    """oar.conf bytes: a few lines, now and then a byte that is not UTF-8."""
    text = '\n'.join(line(c, hostile) for dummy in range(c.below(7))) + c.pick(['\n', '\n', ''])
    data = text.encode('utf-8', 'surrogatepass')
    if hostile and c.chance(30):
        at = c.below(len(data) + 1)
        data = data[:at] + c.pick(BAD_BYTES) + data[at:]
    return data


def request(c, hostile):
    """(settings, absent, remove) for oar_conf, mostly well formed."""
    settings = {}
    for dummy in range(c.below(4)):
        settings[key(c, hostile)] = value(c, hostile)
    if c.below(2):
        settings[c.pick(SECRET_POOL)] = secret_value(c, hostile)
    if hostile and c.chance(25):
        settings[c.pick(BAD_KEYS)] = value(c, hostile)
    absent = sorted({c.pick(POOL) for dummy in range(c.below(3))} - set(settings))
    remove = sorted({c.pick(POOL) for dummy in range(c.below(2))} - set(settings) - set(absent))
    return settings, absent, remove


def build_case(data):
    """(file bytes, (settings, absent, remove)): half benign (most are written), half hostile (most refused)."""
    c = Chooser(data)
    hostile = c.below(2) == 0
    return conf_file(c, hostile), request(c, hostile)


cases = st.binary(min_size=24, max_size=160).map(build_case)


def secrets_of(data, request_settings, is_secret):
    """The secret values of a case, as generated (marked): of the request's secret keys and of the file."""
    found = {str(v) for k, v in request_settings.items() if isinstance(k, str) and is_secret(k)
             and not isinstance(v, bool) and isinstance(v, (str, int))
             and str(v).startswith((SECRET_MARK, '9')) and len(str(v)) > 6}
    text = data.decode('utf-8', 'replace')
    for separator in '"\'=<>;`$()':
        text = text.replace(separator, ' ')
    found.update(word for word in text.split() if word.startswith(SECRET_MARK) and len(word) > 3)
    return found
