# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""oar_conf's planner under hostile input (issue 19, classes 1, 4 and 5), checked with the real readers.

The regression table keeps every bad input found so far, by hand or by the
property-based tests, with what it broke.
"""

from __future__ import annotations

import math
import os
import re
import subprocess

import pytest

from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf
from ansible_collections.oar.oar3.plugins.module_utils._conf import OarConfError, plan
from ansible_collections.oar.oar3.tests.unit import oar_conf_readers as readers


def check_readers(tmp_path, text, expected, absent=()):
    """The text, as a file, is read by every reader with each expected KEY as its string, and runs nothing."""
    path = tmp_path / 'oar.conf'
    data = text.encode('utf-8')
    path.write_bytes(data)
    for locale in ('C', 'C.UTF-8'):
        work = tmp_path / ('bash-' + locale)
        work.mkdir()
        run = readers.real_bash_read(str(work), [(str(path), list(expected) + list(absent))], locale)
        assert run[0].inert, run[0]
        for key, value in expected.items():
            assert run[0].values[key] == value.encode(), (locale, key)
    perl = readers.perl_model(data)
    if os.environ.get('OAR3_PERL_LIB_DIR'):
        assert readers.real_perl_read([str(path)])[0] == perl
    for release, read in readers.OAR3_READERS.items():
        conf = read(str(path))
        for key, value in expected.items():
            assert conf[key] == readers.oar3_convert(value) and str(conf[key]) == value, (release, key)
        for key in absent:
            assert key not in conf, (release, key)
    for key, value in expected.items():
        assert perl[key.encode()] == value.encode(), key
    for key in absent:
        assert key.encode() not in perl


# ---------------------------------------------------------------- regression table

# (what broke on f84611f or on a later draft, text, settings, absent, remove, outcome)
# outcome: 'written' (then every reader reads the settings, and bash runs
# nothing), or a piece of the refusal message.
REGRESSIONS = [
    # bash rewrites RANDOM at every read: the three readers disagreed.
    ('RANDOM accepted', '', {'RANDOM': '4'}, [], [], 'RANDOM: a variable that bash sets or reads itself'),
    # bash refuses to assign a readonly variable, with an error, and goes on.
    ('UID accepted', 'A="1"\n', {'UID': '0'}, [], [], 'UID: a variable that bash'),
    # PATH in oar.conf changes the commands of every script that sources it.
    ('PATH accepted', '', {'PATH': '/tmp'}, [], [], 'PATH: a variable that bash'),
    ('BASH_ENV accepted', '', {'BASH_ENV': '/tmp/x'}, [], [], 'BASH_ENV: a variable'),
    ('LC_ prefix accepted', '', {'LC_PAPER': 'x'}, [], [], 'LC_PAPER: a variable'),
    # An NBSP before the comment was kept: bash read 'A="2"\xa0#' as one word, then ran 'c'.
    ('NBSP before a comment kept', 'A=1\xa0# c\n', {'A': '2'}, [], [], 'written'),
    ('\\v before a comment kept', 'A=1\x0b# c\n', {'A': '2'}, [], [], 'written'),
    ('\\f before a comment kept', 'A="1"\x0c#c\n', {'A': '2'}, [], [], 'written'),
    ('EM SPACE before a comment kept', 'A=1\u2003# why\n', {'A': '2'}, [], [], 'written'),
    # Indentation by \v was kept: bash ran '\vA="2"' as a command.
    ('\\v indentation kept', '\x0bA=1\n', {'A': '2'}, [], [], 'written'),
    # absent put the '#' after a \v indentation: bash then ran the line.
    ('comment-out after \\v', '\x0bA=1\n', {}, ['A'], [], 'written'),
    # OAR3 3.0.x's Decimal accepts sNaN and NaN payloads that int and float refuse: None.
    ('sNaN accepted', '', {'A': 'sNaN'}, [], [], 'A: OAR3 would read the value as nothing'),
    ('NaN12 accepted', '', {'A': 'NaN12'}, [], [], 'A: OAR3 would read the value as nothing'),
    ('-sNaN3 accepted', '', {'A': '-sNaN3'}, [], [], 'A: OAR3 would read the value as nothing'),
    # OAR3 pastes these into its database URL: oar_preflight refused the file afterwards.
    ('@ in a DB password', '', {'DB_BASE_PASSWD': 'pa@ss'}, [], [], 'DB_BASE_PASSWD contains \'@\''),
    ('? in a DB password', '', {'DB_BASE_PASSWD_RO': 'pa?ss'}, [], [], 'DB_BASE_PASSWD_RO contains \'?\''),
    ('% in a DB login', '', {'DB_BASE_LOGIN': 'o%r'}, [], [], 'DB_BASE_LOGIN contains \'%\''),
    ('/ and : in a DB login', '', {'DB_BASE_LOGIN_RO': 'a/b:c'}, [], [], "contains '/' and ':'"),
    # An export line after the rewritten one: bash read the export's value.
    ('export after the line', 'A="1"\nexport A=old\n', {'A': '2'}, [], [],
     'A: line 2 sets it again for bash after the line written'),
    # A line OAR3 strips to the key (NBSP before it) but Perl and bash do not: OAR3 read 'evil'.
    ('NBSP before a key', 'A="1"\n\xa0A="evil"\n', {'A': '2'}, [], [], 'line 2 is neither blank'),
    ('NBSP after a key', 'A="1"\nA\xa0="evil"\n', {'A': '2'}, [], [], 'line 2 is neither blank'),
    # A command line was left in the file: sourcing it ran id as root.
    ('a command line', 'A="1"\nid\n', {'A': '2'}, [], [], 'line 2 is neither blank'),
    ('a command after an assignment', 'B=1; id\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    ('two assignments on a line', 'B=1 C=2\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    ('an unterminated quote', 'B="1\nA="x"\n', {'C': '2'}, [], [], 'line 1 is neither blank'),
    ('a continued line', 'B=1\\\nid\n', {'C': '2'}, [], [], 'lines 1, 2 are neither blank'),
    ('a comment behind NBSP', '\xa0# c\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    ('a BOM', '\ufeffA="1"\n', {'B': '2'}, [], [], 'line 1 is neither blank'),
    ('NUL in a value', 'B=x\x00y\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    ('declare -x', 'declare -x B=1\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    ('a key with spaces around =', 'B = 1\n', {'A': '2'}, [], [], 'line 1 is neither blank'),
    # A carriage return ends a line for OAR3 only: OAR3 read A from a comment.
    ('CR in a comment', '# c\rA=evil\nA="1"\n', {'A': '2'}, [], [], 'line 1 has a carriage return'),
    ('CRLF file', 'A="1"\r\nB="2"\r\n', {'A': '3'}, [], [], 'line 2 has a carriage return'),
    # A bash special set by the file itself.
    ('IFS in the file', 'IFS=x\n', {'A': '2'}, [], [], 'IFS: set on line 1'),
    # Found by the property-based tests run on f84611f (cases shortened by hand):
    # bash keeps '_' for the last argument of the last command.
    ('_ accepted', '', {'_': True, 'LOG_LEVEL': '0.5'}, [], [], '_: a variable that bash sets or reads itself'),
    # ENV is sourced by every POSIX-mode shell the sourcing script starts.
    ('ENV accepted', '', {'ENV': 'D!s'}, [], [], 'ENV: a variable that bash'),
    # Assignments to BASHPID are ignored.
    ('BASHPID accepted', '', {'BASHPID': True}, [], [], 'BASHPID: a variable that bash'),
    # An NBSP after a quoted value: Perl read the NBSP into the value, bash ran the comment.
    ('NBSP after a quoted value', "  API_TOKEN='1.0'\xa0# c\n", {'API_TOKEN': 'S3c~g'}, [], [], 'written'),
    ('\\f indentation and NBSP', "# A = t\n\x0cDB_BASE_PASSWD_RO='^{;'\xa0# c\n", {'DB_BASE_PASSWD_RO': 'S3cx,y'},
     [], [], 'written'),
]

# Not regressions: guards that the new whole-file rules refuse no more than
# needed (the line at fault is the one the request rewrites or drops).
STILL_WRITTEN = [
    # The file's own 'KEY = v' line (a command for bash) is fixed by the rewrite.
    ('spaced line rewritten', 'A = 1 ; id\n', {'A': '2'}, [], [], 'written'),
    ('Perl-only duplicate dropped', 'A="1"\n  A = x\n', {'A': '2'}, [], [], 'written'),
    # remove deletes a non-inert active line, leaving an inert file.
    ('remove of a spaced line', 'A = 1\nB="2"\n', {}, [], ['A'], 'written'),
]


@pytest.mark.parametrize('what, text, settings, absent, remove, outcome', REGRESSIONS + STILL_WRITTEN,
                         ids=[row[0] for row in REGRESSIONS + STILL_WRITTEN])
def test_regression(tmp_path, what, text, settings, absent, remove, outcome):
    if outcome != 'written':
        with pytest.raises(OarConfError) as refused:
            plan(text, settings, absent, remove)
        assert outcome in str(refused.value)
        for value in settings.values():
            assert "'%s'" % value not in str(refused.value) and '"%s"' % value not in str(refused.value)
        return
    result = plan(text, settings, absent, remove)
    check_readers(tmp_path, result.text, {k: oar_conf.render_value(v) for k, v in settings.items()},
                  absent=list(absent) + list(remove))


# Bytes that are not UTF-8, found by the property-based tests on f84611f: it
# wrote the file, then failed (OAR3 could not have started on it).
BYTE_REGRESSIONS = [
    (b'\xe9', 'line 1 is'),
    (b'\xe9\n', 'line 1 is'),
    (b'A="1"\n#caf\xe9\n', 'line 2 is'),
    (b'A="\xed\xa0\x80"\n\xc0\xaf\n', 'lines 1, 2 are'),  # an encoded surrogate, an overlong '/'
]


@pytest.mark.parametrize('data, lines', BYTE_REGRESSIONS, ids=repr)
def test_byte_regression(data, lines):
    with pytest.raises(OarConfError, match='oar.conf left unchanged: %s not valid UTF-8' % lines):
        oar_conf.decode(data)


def test_rewrite_keeps_a_comment_only_after_a_real_blank():
    assert plan('A=1\xa0# c\n', {'A': 2}, []).text == 'A="2" # c\n'
    assert plan('A=1\t# c\n', {'A': 2}, []).text == 'A="2"\t# c\n'
    assert plan('\x0bA=1\n', {'A': 2}, []).text == 'A="2"\n'
    assert plan('\x0bA=1\n', {}, ['A']).text == '#\x0bA=1\n'


# ---------------------------------------------------------------- bash's own variables

def bash_variables():
    done = subprocess.run([readers.BASH, '--norc', '--noprofile', '-c', 'compgen -v; echo --; readonly -p'],
                          env={}, capture_output=True, check=True)
    names, readonly = done.stdout.decode().split('--\n')
    found = set(names.split())
    found.update(re.findall(r'^declare -[a-zA-Z]+ ([A-Za-z_][A-Za-z0-9_]*)', readonly, re.M))
    return found


def test_embedded_list_covers_every_variable_of_the_real_bash():
    # Fails when a bash release adds a variable: add it to BASH_SETS.
    found = bash_variables()
    assert found - oar_conf.BASH_SETS == set()
    # Names of other bash releases (5.3) may be missing here, nothing else.
    assert oar_conf.BASH_SETS - found <= {'BASH_MONOSECONDS', 'BASH_TRAPSIG', 'GLOBSORT'}


# Variables bash reads without setting them, which change how it runs what
# follows (bash(1), "Shell Variables"); a few, independently of the module's list.
BASH_READ_SAMPLE = ['BASH_ENV', 'ENV', 'POSIXLY_CORRECT', 'BASH_XTRACEFD', 'CDPATH', 'GLOBIGNORE', 'HOME',
                    'PS1', 'PS4', 'PROMPT_COMMAND', 'TMOUT', 'LANG', 'LC_ALL', 'LC_CTYPE', 'EXECIGNORE', 'TMPDIR',
                    'BASH_COMPAT', 'BASH_ANYTHING', 'LC_ANYTHING']


def test_every_bash_variable_is_refused():
    refused = []
    for key in sorted(bash_variables()) + BASH_READ_SAMPLE:
        try:
            plan('', {key: 'v'}, [])
        except OarConfError as e:
            if '%s: a variable that bash sets or reads itself' % key in str(e):
                refused.append(key)
    assert sorted(set(bash_variables()) | set(BASH_READ_SAMPLE)) == sorted(set(refused))


@pytest.mark.parametrize('key', ['RANDOM', 'LINENO', 'EPOCHSECONDS', 'SRANDOM', 'UID', 'EUID', 'PPID',
                                 'SHELLOPTS', 'BASHOPTS', 'BASHPID', 'HISTCMD', 'BASH_VERSINFO', 'GROUPS'])
def test_bash_really_reads_something_else_for_them(tmp_path, key):
    # What made them refused: bash reads another value back, or fails and
    # stops sourcing (a readonly variable ends the subshell).
    path = tmp_path / 'oar.conf'
    path.write_text('%s="1234567"\n' % key)
    (tmp_path / 'w').mkdir()
    run = readers.real_bash_read(str(tmp_path / 'w'), [(str(path), [key])])[0]
    assert not run.finished or run.stderr or run.values[key] != b'1234567', run


def test_ordinary_keys_are_not_bash_special():
    for key in ['LOG_LEVEL', 'META_SCHED_CMD', 'DB_BASE_PASSWD', 'HIERARCHY_LABELS', 'QUOTAS', 'SIGNAL',
                'PROJECT', 'QUEUE', 'SERVER_HOSTNAME', 'OPENSSH_CMD', 'OARDIR']:
        assert not oar_conf.is_bash_special(key)


# ---------------------------------------------------------------- OAR3's numbers

@pytest.mark.parametrize('value, read', [
    ('sNaN', None), ('NaN12', None), ('-sNaN', None), ('+NaN', 'nan'), ('Infinity', 'inf'), ('1e999', 'inf'),
    ('1_000', 1000), (' 5', 5), ('0x10', '0x10'), ('12', 12), ('-0.0', -0.0), ('5.', 5.0), ('abc', 'abc'),
])
def test_oar3_conversion_is_3_0_x(value, read):
    got = oar_conf.oar3_convert(value)
    assert repr(got) == repr(readers.oar3_convert(value))  # nan == nan is False: compare the reprs
    if read == 'nan':
        assert math.isnan(got)
    elif read == 'inf':
        assert got == float('inf')
    else:
        assert got == read and type(got) is type(read)


# ---------------------------------------------------------------- UTF-8

def test_non_utf8_is_refused_naming_the_lines():
    with pytest.raises(OarConfError, match=r'line 2 is not valid UTF-8 \(OAR3 reads oar.conf as strict UTF-8'):
        oar_conf.decode(b'A="1"\n#caf\xe9\nB="2"\n')
    with pytest.raises(OarConfError, match='lines 1, 3 are not valid UTF-8'):
        oar_conf.decode(b'\xff\nA=1\n\xed\xa0\x80\n')
    assert oar_conf.decode('A="é"\n'.encode()) == 'A="é"\n'


# ---------------------------------------------------------------- secrets in the diff

MASK_SHAPES = [
    'DB_BASE_PASSWD=s3cretV',
    'declare -x DB_BASE_PASSWD=s3cretV',
    'declare -x DB_BASE_PASSWD="s3cretV"',
    "typeset -x 'DB_BASE_PASSWD'='s3cretV'",
    'readonly DB_BASE_PASSWD=s3cretV',
    'local DB_BASE_PASSWD=s3cretV',
    'DB_BASE_PASSWD+=s3cretV',
    'export -n DB_BASE_PASSWD=s3cretV',
    'set DB_BASE_PASSWD=s3cretV',
    '  \tdeclare -x DB_BASE_PASSWD=s3cretV',
    'DB_BASE_PASSWD[0]=s3cretV',
    '"DB_BASE_PASSWD"=s3cretV',
    'DB_BASE_PASSWD\xa0=s3cretV',
    'FOO=1 API_TOKEN=s3cretV',
    '#declare -x DB_BASE_PASSWD=s3cretV',
    '# typeset DB_BASE_PASSWD = s3cretV',
    '\t#\tlocal db_base_passwd=s3cretV',
    'printf -v DB_BASE_PASSWD s3cretV',
    'read DB_BASE_PASSWD <<< s3cretV',
]


@pytest.mark.parametrize('line', MASK_SHAPES, ids=repr)
def test_every_secret_assignment_is_masked_whatever_its_shape(line):
    text = 'A="1"\n%s\nB="2"\n' % line
    masked = oar_conf.mask_text(text)
    assert 's3cretV' not in masked
    assert masked.startswith('A="1"\n') and masked.endswith('\nB="2"\n')
    assert 's3cretV' in oar_conf.secret_values(text)


def test_a_value_carried_on_to_the_next_line_is_masked_there_too():
    for text in ['DB_BASE_PASSWD="s3c\nretV"\nB="2"\n', "DB_BASE_PASSWD='s3c\nretV'\nB=2\n",
                 'DB_BASE_PASSWD=s3c\\\nretV\nB=2\n']:
        masked = oar_conf.mask_text(text)
        assert 'retV' not in masked and masked.endswith('B=%s\n' % ('"2"' if '"2"' in text else '2')), masked


def test_mask_keeps_ordinary_lines_and_names():
    text = '# the DB_BASE_PASSWD is used by both\nX="it\'s"\nLOG_LEVEL="2"\n'
    assert oar_conf.mask_text(text) == text
    assert oar_conf.mask_text('DB_BASE_PASSWD="it\'s"\nB="2"\n') == 'DB_BASE_PASSWD="********"\nB="2"\n'


def test_secret_strings_of_any_parameter_shape():
    found = oar_conf.secret_strings({
        'settings': 'DB_BASE_PASSWD=s3cretA LOG_LEVEL=2',
        'other': {'nested': {'API_TOKEN': ['s3cretB', {'x': 7}]}},
        'listed': ['{"DB_BASE_PASSWD_RO": "s3cretC"}'],
        'bad_key': {'DB_BASE_PASSWD=s3cretD': 'v'},
        'absent': ['DB_BASE_PASSWD'],
    })
    for secret in ['s3cretA', 's3cretB', '7', 's3cretC', 's3cretD']:
        assert secret in found
    assert 'DB_BASE_PASSWD' not in found and '2' not in found


def test_an_invalid_secret_looking_key_is_never_shown():
    with pytest.raises(OarConfError) as refused:
        plan('', {'DB_BASE_PASSWD=s3cretD': 'v'}, [])
    assert 's3cretD' not in str(refused.value)
    assert 'a key naming a secret (not shown): not a valid name' in str(refused.value)


# ---------------------------------------------------------------- temporary names

def test_temporary_names():
    name = oar_conf.temp_name('oar.conf', 'abcd_123')
    assert name == '.oar.conf.oar3-tmp-abcd_123'
    assert oar_conf.is_temp_name('oar.conf', name)
    for other in ['.oar.conf.original', '.oar.conf.oar3-tmp-abc', '.oar.conf.oar3-tmp-ABCD1234',
                  '.oar.conf.oar3-tmp-abcd12345', 'oar.conf.oar3-tmp-abcd1234', '.x.conf.oar3-tmp-abcd1234']:
        assert not oar_conf.is_temp_name('oar.conf', other), other
