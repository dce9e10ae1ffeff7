# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure planner of oar.oar3.oar_conf, checked against the three readers of oar.conf.

The readers are written here from their rules, independently of the code
under test: OAR2's Perl regexes (in Python, and in real perl), OAR3's
load_file algorithm, and the real bash sourcing the file.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf
from ansible_collections.oar.oar3.plugins.module_utils._conf import OarConfError, plan
from ansible_collections.oar.oar3.tests.unit import oar_conf_readers as readers

# ---------------------------------------------------------------- readers


def perl_reader(text):
    """OAR2's Conf.pm rules: line regex, one pair of quotes stripped, last one wins."""
    conf = {}
    for line in text.split('\n'):
        match = re.match(r'^\s*([^#=\s]+)\s*=\s*([^#]*)', line, re.ASCII)
        if match:
            quoted = re.match(r'^(["\']?)(.+)\1\s*$', match.group(2), re.ASCII)
            conf[match.group(1)] = quoted.group(2) if quoted else match.group(2)
    return conf


PERL_SCRIPT = r'''
while (my $line = <STDIN>) {
    chomp $line;
    if ($line =~ /^\s*([^#=\s]+)\s*=\s*([^#]*)/) {
        my ($key, $value) = ($1, $2);
        $value = $2 if $value =~ /^(["']?)(.+)\1\s*$/;
        $conf{$key} = $value;
    }
}
print "$_\0$conf{$_}\0" for sort keys %conf;
'''


def real_perl_reader(text):
    if shutil.which('perl') is None:
        pytest.skip('perl is not installed')
    out = subprocess.run(['perl', '-e', PERL_SCRIPT], input=text.encode('utf-8', 'surrogateescape'),
                         capture_output=True, check=True).stdout.decode('utf-8', 'surrogateescape')
    fields = out.split('\0')[:-1]
    return dict(zip(fields[0::2], fields[1::2]))


# OAR3 3.0.1's and 3.0.2's reader (the same in both): Decimal first, and the
# key is not stripped of quotes.
try_convert_decimal = readers.oar3_convert
oar3_reader = readers.oar3_read_text


def bash_reader(path, keys):
    """What `. oar.conf` leaves in each variable (None: unset), with the real bash."""
    script = '. "$1" || exit 99; shift; for k; do printf "%s\\0%s\\0" "${!k+set}" "${!k-}"; done'
    done = subprocess.run(['bash', '-c', script, 'bash', path] + list(keys), env={'PATH': os.environ['PATH']},
                          capture_output=True, check=True)
    assert done.stderr == b''
    fields = done.stdout.decode('utf-8', 'surrogateescape').split('\0')[:-1]
    return {key: (value if isset else None) for key, isset, value in zip(keys, fields[0::2], fields[1::2])}


def assert_all_readers(tmp_path, text, expected):
    """Every reader reads each expected KEY as the expected string."""
    path = tmp_path / 'oar.conf'
    path.write_bytes(text.encode('utf-8', 'surrogateescape'))
    perl, real_perl, oar3 = perl_reader(text), real_perl_reader(text), oar3_reader(text)
    bash = bash_reader(str(path), list(expected))
    for key, value in expected.items():
        assert perl[key] == value, key
        assert real_perl[key] == value, key
        assert oar3[key] == try_convert_decimal(value) and str(oar3[key]) == value, key
        assert bash[key] == value, key


# ---------------------------------------------------------------- placement

BASE = (
    '# OAR configuration\n'
    'DB_HOSTNAME="db"\n'
    '  LOG_LEVEL="2"\n'
    '#META_SCHED_CMD="oar_meta_sched"\n'
    '# META_SCHED_CMD = other\n'
    'SERVER_PORT="6666"\n'
    'export OARDIR=/usr/lib/oar\n'
)


def test_active_key_changed_in_place_keeping_indentation():
    result = plan(BASE, {'LOG_LEVEL': 3}, [])
    assert result.text == BASE.replace('  LOG_LEVEL="2"\n', '  LOG_LEVEL="3"\n')
    assert result.changed_keys == ['LOG_LEVEL']
    assert result.previous == {'LOG_LEVEL': '2'}
    assert result.collapsed_keys == [] and result.warnings == []


def test_comment_only_key_goes_right_after_its_last_comment():
    result = plan(BASE, {'META_SCHED_CMD': 'kao'}, [])
    assert result.text == BASE.replace('# META_SCHED_CMD = other\n',
                                       '# META_SCHED_CMD = other\nMETA_SCHED_CMD="kao"\n')
    assert result.previous == {'META_SCHED_CMD': None}


def test_missing_keys_are_appended_in_the_given_order():
    result = plan(BASE, {'ZZZ': 'z', 'AAA': True, 'MMM': False}, [])
    assert result.text == BASE + 'ZZZ="z"\nAAA="yes"\nMMM="no"\n'
    assert result.changed_keys == ['AAA', 'MMM', 'ZZZ']


def test_append_adds_the_missing_final_newline_first():
    assert plan('A="1"', {'B': 2}, []).text == 'A="1"\nB="2"\n'
    assert plan('A="1"\n#B="x"', {'B': 2}, []).text == 'A="1"\n#B="x"\nB="2"\n'
    assert plan('', {'B': 2}, []).text == 'B="2"\n'


def test_last_line_without_newline_is_rewritten_without_adding_one():
    assert plan('A="1"', {'A': 2}, []).text == 'A="2"'


def test_several_keys_after_the_same_comment_and_in_place():
    text = '#A="1"\n#B="1"\nC=1\n'
    result = plan(text, {'B': 'b', 'C': 'c', 'A': 'a', 'D': 'd'}, [])
    assert result.text == '#A="1"\nA="a"\n#B="1"\nB="b"\nC="c"\nD="d"\n'
    assert result.changed_keys == ['A', 'B', 'C', 'D']


@pytest.mark.parametrize('line, new_line', [
    ('A="1"   # why\n', 'A="2"   # why\n'),     # a comment after whitespace stays
    ('\tA = \'1\' #why', '\tA="2" #why'),
    ('A=1#x\n', 'A="2"\n'),                    # bash would not see '#x' as a comment
    ('A=1\n', 'A="2"\n'),
    ('A= #only a comment\n', 'A="2" #only a comment\n'),
])
def test_rewritten_line_layout(line, new_line):
    assert plan(line, {'A': 2}, []).text == new_line


def test_non_canonical_line_with_the_right_value_is_rewritten_once():
    first = plan('A=1\n', {'A': '1'}, [])
    assert (first.text, first.changed_keys, first.previous) == ('A="1"\n', ['A'], {'A': '1'})
    second = plan(first.text, {'A': '1'}, [])
    assert (second.text, second.changed_keys) == (first.text, [])


def test_duplicates_collapse_to_the_first_position():
    text = 'A="1"\nB="x"\nA="2"\n A = 3\n'
    result = plan(text, {'A': '4'}, [])
    assert result.text == 'A="4"\nB="x"\n'
    assert result.collapsed_keys == ['A'] and result.changed_keys == ['A']
    assert result.previous == {'A': '3'}  # OAR2: the last line wins


def test_duplicates_already_right_still_collapse():
    result = plan('A="4"\nA="4"\n', {'A': '4'}, [])
    assert (result.text, result.changed_keys, result.collapsed_keys) == ('A="4"\n', ['A'], ['A'])


def test_export_lines_are_left_alone_and_not_the_key():
    result = plan(BASE, {'OARDIR': '/opt/oar'}, ['SERVER_PORT'])
    assert result.text == BASE.replace('SERVER_PORT=', '#SERVER_PORT=') + 'OARDIR="/opt/oar"\n'
    assert result.previous == {'OARDIR': None, 'SERVER_PORT': '6666'}
    assert len(result.warnings) == 1 and 'export OARDIR=' in result.warnings[0]
    assert plan(BASE, {}, ['OARDIR']).text == BASE


def test_absent_comments_out_every_active_line():
    text = 'A="1"\n  A=2 # c\n#B="x"\nC="3"\n'
    result = plan(text, {}, ['A', 'B', 'MISSING'])
    assert result.text == '#A="1"\n  #A=2 # c\n#B="x"\nC="3"\n'
    assert result.changed_keys == ['A']
    assert result.previous == {'A': '2 ', 'B': None, 'MISSING': None}  # OAR2 keeps the space before '#'
    assert perl_reader(result.text) == {'C': '3'}
    assert oar3_reader(result.text) == {'C': 3}


def test_absent_key_set_again_goes_after_its_new_comment():
    text = plan('A="1"\nB="2"\n', {}, ['A']).text
    assert plan(text, {'A': 'x'}, []).text == '#A="1"\nA="x"\nB="2"\n'


def test_empty_request_changes_nothing():
    result = plan(BASE, {}, [])
    assert result == (BASE, [], {}, [], [])


def test_result_is_idempotent():
    first = plan(BASE, {'LOG_LEVEL': 3, 'META_SCHED_CMD': 'kao', 'NEW': 'n'}, ['DB_HOSTNAME'])
    second = plan(first.text, {'LOG_LEVEL': 3, 'META_SCHED_CMD': 'kao', 'NEW': 'n'}, ['DB_HOSTNAME'])
    assert second.text == first.text and second.changed_keys == []


def test_previous_is_what_oar2_reads():
    result = plan('E=""\nQ=\'x\'\nU= a b \n', {'E': 'e', 'Q': 'q', 'U': 'u'}, [])
    assert result.previous == {'E': '""', 'Q': 'x', 'U': 'a b '}


# ---------------------------------------------------------------- values

ACCEPTED = [
    'kao', 'oar_meta_sched', '/usr/lib/oar/kao', 'resource_id,network_address,cpu,core', 'yes', 'no',
    '0', '6666', '-5', '0.5', '-0.25', '1.0', '12345678901234567890', "it's", 'a b  c', 'x=y',
    '{ first => 75, default => 25 }', '!%&()*+,-./:;<=>?@[]^_{|}~', '/usr/bin/ssh -p 6667 -e none',
    '0x10', 'True', 'None', '1,2', 'a=b=c', '-0.0', 'network_address/resource_id', 7, -3, True, False,
    10 ** 30,
]

REFUSED_STRINGS = [
    '', ' x', 'x ', ' 5', "'x", "x'", "'x'", '"x"', 'a"b', 'a#b', '#', 'a$b', '$HOME', '${X}', 'a`id`',
    'a\\b', 'a\nb', 'x\n', 'a\x00b', 'a\tb', 'a\rb', '\x7f', 'caf\xe9', '\u00a0', '\udcff',
    '007', '00', '-0', '+5', '1_000', '1e3', '1E5', '1.50', '.5', '5.', '0.10',
    'nan', 'NaN', 'inf', '-inf', 'Infinity', '1' * 5000,
]
REFUSED_TYPES = [0.5, 1.0, None, [1], {'a': 1}, ('x',)]


def rendered(value):
    return {True: 'yes', False: 'no'}.get(value, str(value)) if not isinstance(value, str) else value


@pytest.mark.parametrize('value', ACCEPTED, ids=repr)
def test_accepted_value_reads_back_the_same_everywhere(tmp_path, value):
    text = 'ACTIVE="old"\n#COMMENTED="doc"\nOTHER="o"\n'
    result = plan(text, {'ACTIVE': value, 'COMMENTED': value, 'NEW': value}, [])
    assert result.text == ('ACTIVE="%s"\n#COMMENTED="doc"\nCOMMENTED="%s"\nOTHER="o"\nNEW="%s"\n'
                           % ((rendered(value),) * 3))
    expected = dict(dict.fromkeys(['ACTIVE', 'COMMENTED', 'NEW'], rendered(value)), OTHER='o')
    assert_all_readers(tmp_path, result.text, expected)


@pytest.mark.parametrize('value', REFUSED_STRINGS + REFUSED_TYPES, ids=repr)
def test_refused_value(value):
    with pytest.raises(OarConfError) as error:
        plan('K="v"\n', {'GOOD': 'ok', 'K': value}, [])
    message = str(error.value)
    assert message.startswith('oar.conf left unchanged: K: ')
    assert 'GOOD' not in message
    if isinstance(value, str):
        # The message is made only of fixed rule texts, so never holds the value.
        rules = oar_conf.value_errors(value)
        assert rules and message == 'oar.conf left unchanged: ' + '; '.join('K: ' + rule for rule in rules)
    else:
        assert 'of type %s' % type(value).__name__ in message


def test_rule_texts_are_a_fixed_set():
    texts = {rule for value in REFUSED_STRINGS for rule in oar_conf.value_errors(value)}
    assert len(texts) == 6


def test_empty_value_points_to_absent():
    with pytest.raises(OarConfError, match='K: empty value; use absent'):
        plan('', {'K': ''}, [])


@pytest.mark.parametrize('key', ['A-B', '1A', 'A B', '', 'A\n', 'export A', 'É', '#A'], ids=repr)
def test_refused_key(key):
    with pytest.raises(OarConfError, match=re.escape('key %r: not a valid name' % key)):
        plan('', {key: 'v'}, [])
    with pytest.raises(OarConfError, match=re.escape('key %r: not a valid name' % key)):
        plan('', {}, [key])


def test_key_in_settings_and_absent():
    with pytest.raises(OarConfError, match='A: in both settings and absent'):
        plan('A="1"\n', {'A': '2'}, ['A'])


def test_every_error_is_reported_at_once():
    with pytest.raises(OarConfError) as error:
        plan('', {'A': '007', 'B': 'x$', 'C': 1.5, 'D': 'fine', 'E': ' $'}, ['A', 'bad key'])
    message = str(error.value)
    for part in ['A: OAR3 would read', 'B: value contains one of', 'C: value of type float',
                 'E: value contains one of', 'E: value starts or ends', 'A: in both', "key 'bad key'"]:
        assert part in message
    assert 'D:' not in message


# ---------------------------------------------------------------- secrets

def test_secret_keys():
    assert all(map(oar_conf.is_secret, ['DB_BASE_PASSWD', 'db_base_passwd_ro', 'API_PASSWORD', 'MY_SECRET',
                                        'SCHEDULER_TOKEN_SCRIPTS', 'Token']))
    assert not any(map(oar_conf.is_secret, ['DB_BASE_LOGIN', 'PASS', 'PWD', 'LOG_LEVEL']))


def test_mask_text_hides_every_secret_line():
    text = ('DB_BASE_PASSWD="s3cret" # set by hand\n'
            '  #DB_BASE_PASSWD="old-s3cret"\n'
            '# the DB_BASE_PASSWD is used by both\n'
            'export API_TOKEN=t0ken\n'
            'DB_BASE_PASSWD_RO = ro-s3cret\n'
            'DB_BASE_LOGIN="oar"\n'
            'MY_SECRET=x')
    assert oar_conf.mask_text(text) == ('DB_BASE_PASSWD="********"\n'
                                        '  #DB_BASE_PASSWD="********"\n'
                                        '# the DB_BASE_PASSWD is used by both\n'
                                        'export API_TOKEN="********"\n'
                                        'DB_BASE_PASSWD_RO ="********"\n'
                                        'DB_BASE_LOGIN="oar"\n'
                                        'MY_SECRET="********"')


def test_secret_values_found_in_the_text():
    text = 'DB_BASE_PASSWD="s3cret"\n#DB_BASE_PASSWD="old"\nDB_BASE_PASSWD_RO=""\nexport X_TOKEN=t\nLOGIN=l\n'
    assert oar_conf.secret_values(text) >= {'s3cret', 'old', 't'}
    assert not any('oar' in value or value == 'l' for value in oar_conf.secret_values(text))


def test_secret_strings_of_settings_whatever_their_type():
    settings = {'DB_BASE_PASSWD': 's', 'API_TOKEN': 1234, 'X_SECRET': ['a', {'k': 'b'}], 'Y_SECRET': True,
                'Z_SECRET': 1.5, 'LOGIN': 'visible'}
    assert oar_conf.secret_strings(settings) == {'s', '1234', 'a', 'b', '1.5'}


def test_previous_of_secrets_is_masked_and_errors_never_hold_them():
    result = plan('DB_BASE_PASSWD="s3cret"\n', {'DB_BASE_PASSWD': 'n3w', 'API_TOKEN': 'x'}, [])
    assert result.previous == {'DB_BASE_PASSWD': '********', 'API_TOKEN': None}
    with pytest.raises(OarConfError) as error:
        plan('', {'DB_BASE_PASSWD': 'S3cr3t$pw', 'DB_BASE_PASSWD_RO': ' S3cr3t-ro'}, [])
    assert 'S3cr3t' not in str(error.value)
    assert 'DB_BASE_PASSWD: value contains' in str(error.value)


# ---------------------------------------------------------------- OAR2's stock files

STOCK_SETTINGS = {
    'HIERARCHY_LABELS': 'resource_id,network_address,cpu,core',
    'META_SCHED_CMD': 'kao',
    'METASCHEDULER_OAR3_WITH_OAR2': True,
    'DB_BASE_PASSWD': 'S3cret-pw.42',
    'LOG_LEVEL': 3,
}
STOCK_WRITTEN = {'HIERARCHY_LABELS': 'resource_id,network_address,cpu,core', 'META_SCHED_CMD': 'kao',
                 'METASCHEDULER_OAR3_WITH_OAR2': 'yes', 'DB_BASE_PASSWD': 'S3cret-pw.42', 'LOG_LEVEL': '3'}


@pytest.mark.parametrize('release', ['deb12', 'deb13'])
def test_stock_file_round_trip(stock_conf, release):
    data = stock_conf(release)
    text = data.decode('utf-8', 'surrogateescape')
    assert plan(text, {}, []).text.encode('utf-8', 'surrogateescape') == data
    # Setting keys to the values they already have in canonical form: no change either.
    same = plan(text, {'DB_TYPE': 'Pg', 'SERVER_PORT': 6666, 'LOG_LEVEL': '2'}, ['NOT_THERE', 'META_SCHED_CMD'])
    assert same.text == text and same.changed_keys == []
    assert perl_reader(text) == real_perl_reader(text)  # the Python reader of the Perl rules is faithful


@pytest.mark.parametrize('release', ['deb12', 'deb13'])
def test_stock_file_settings_read_by_every_reader(tmp_path, stock_conf, release):
    text = stock_conf(release).decode('utf-8', 'surrogateescape')
    assert '\n#META_SCHED_CMD="oar_meta_sched"\n' in text and 'HIERARCHY_LABELS' not in text
    result = plan(text, STOCK_SETTINGS, [])
    assert result.changed_keys == sorted(STOCK_SETTINGS)
    assert result.previous == {'HIERARCHY_LABELS': None, 'META_SCHED_CMD': None,
                               'METASCHEDULER_OAR3_WITH_OAR2': None, 'DB_BASE_PASSWD': '********',
                               'LOG_LEVEL': '2'}

    # Exactly these lines changed, where the rules say.
    old_lines, new_lines = text.split('\n'), result.text.split('\n')
    changes = [line for line in difflib.ndiff(old_lines, new_lines) if line[:1] in '+-']
    assert changes == ['- DB_BASE_PASSWD=""', '+ DB_BASE_PASSWD="S3cret-pw.42"',
                       '- LOG_LEVEL="2"', '+ LOG_LEVEL="3"',
                       '+ META_SCHED_CMD="kao"',
                       '+ HIERARCHY_LABELS="resource_id,network_address,cpu,core"',
                       '+ METASCHEDULER_OAR3_WITH_OAR2="yes"']
    assert new_lines[new_lines.index('#META_SCHED_CMD="oar_meta_sched"') + 1] == 'META_SCHED_CMD="kao"'
    assert result.text.endswith('\nHIERARCHY_LABELS="resource_id,network_address,cpu,core"\n'
                                'METASCHEDULER_OAR3_WITH_OAR2="yes"\n')

    assert_all_readers(tmp_path, result.text, STOCK_WRITTEN)
    # Every other key reads as before, for OAR2 and OAR3.
    expected_perl = dict(perl_reader(text), **STOCK_WRITTEN)
    assert perl_reader(result.text) == expected_perl
    assert real_perl_reader(result.text) == expected_perl
    expected_oar3 = dict(oar3_reader(text), **{key: try_convert_decimal(value) for key, value in STOCK_WRITTEN.items()})
    assert oar3_reader(result.text) == expected_oar3

    masked = oar_conf.mask_text(result.text)
    assert 'S3cret' not in masked and 'DB_BASE_PASSWD="********"' in masked


# remove: delete a key's active lines, the inverse of adding it.

def test_remove_deletes_active_lines_and_keeps_comments_and_exports():
    text = '#K="doc"\nK="1"\nexport K=2\nA="x"\nK="3"\n'
    p = plan(text, {}, [], ['K'])
    assert p.text == '#K="doc"\nexport K=2\nA="x"\n'
    assert p.changed_keys == ['K'] and p.previous == {'K': '3'}


def test_remove_of_a_missing_key_changes_nothing():
    assert plan('#K="doc"\n', {}, [], ['K']).text == '#K="doc"\n'


def test_remove_refused_with_settings_or_absent_and_bad_names():
    with pytest.raises(OarConfError, match='K: in both settings and remove; J: in both absent and remove'):
        plan('', {'K': 'v'}, ['J'], ['K', 'J'])
    with pytest.raises(OarConfError, match="key 'bad key'"):
        plan('', {}, [], ['bad key'])


@pytest.mark.parametrize('keys', [['HIERARCHY_LABELS'], ['META_SCHED_CMD', 'METASCHEDULER_OAR3_WITH_OAR2'],
                                  ['LOG_LEVEL']])
def test_set_then_undo_gives_the_stock_file_back_byte_for_byte(stock_conf, keys):
    for release in ('deb12', 'deb13'):
        text = stock_conf(release).decode('utf-8', 'surrogateescape')
        changed = plan(text, {k: 'kao' for k in keys}, []).text
        assert changed != text
        previous = plan(text, {k: 'kao' for k in keys}, []).previous
        restore = {k: v for k, v in previous.items() if v is not None}
        undone = plan(changed, restore, [], [k for k, v in previous.items() if v is None]).text
        assert undone == text
