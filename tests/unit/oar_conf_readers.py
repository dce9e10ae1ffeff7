# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The three readers of oar.conf, for the tests, each reading many files per process.

- OAR2: the real Perl OAR::Conf (Debian's liboar-perl), from the directory
  named by OAR3_PERL_LIB_DIR (tools/oar_conf_pm.sh DEST prints one); the
  tests that need it skip when it is unset.
- OAR3: models of Configuration.load_file and try_convert_decimal of the
  supported releases, 3.0.1 and 3.0.2, written from their source (tags
  3.0.1 and 3.0.2 of oar-team/oar3: oar/lib/configuration.py and
  oar/lib/utils.py, the same algorithm in both tags).
- bash: the real bash, sourcing each file in a subshell of
  `env -i bash --norc --noprofile`, with PATH holding only canary programs
  and a command_not_found_handle that record any command the file runs.

Written independently of the module's code, which they check.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from decimal import Decimal, InvalidOperation

import pytest

# ---------------------------------------------------------------- OAR3


def _oar3_try_convert_decimal(value):
    # Decimal decides whether it is a number; then int, then float, else
    # the function falls off its end: None.
    try:
        Decimal(value)
    except InvalidOperation:
        return value
    try:
        return int(value)
    except Exception:
        pass
    try:
        return float(value)
    except Exception:
        pass
    return None


def _oar3_load(lines):
    conf = {}
    for line in lines:
        if '#' in line:
            line = line.split('#', 1)[0]
        if '=' in line:
            key, value = line.split('=', 1)
            conf[key.strip()] = _oar3_try_convert_decimal(value.strip().strip('"\''))
    return conf


def _oar3_load_file(path):
    # Text mode: strict UTF-8 (UnicodeDecodeError otherwise) and universal
    # newlines ('\r' ends a line too).
    with open(path, encoding='utf-8') as f:
        return _oar3_load(f)


def oar3_read_text(text):
    """The same reading of a text, as the file holding it would be read."""
    return _oar3_load(io.StringIO(text, newline=None))


def oar3_3_0_1_read(path):
    """What OAR3 3.0.1's Configuration.load_file puts in the configuration."""
    return _oar3_load_file(path)


def oar3_3_0_2_read(path):
    """What OAR3 3.0.2's Configuration.load_file puts in the configuration (unchanged since 3.0.1)."""
    return _oar3_load_file(path)


OAR3_READERS = {'3.0.1': oar3_3_0_1_read, '3.0.2': oar3_3_0_2_read}


def oar3_convert(value):
    return _oar3_try_convert_decimal(value)


# ---------------------------------------------------------------- OAR2

PERL_RULES = re.compile(r'^\s*([^#=\s]+)\s*=\s*([^#]*)', re.ASCII)
PERL_QUOTES = re.compile(r'^(["\']?)(.+)\1\s*$', re.ASCII)


def perl_model(data):
    """OAR2's Conf.pm rules in Python, on bytes: line regex, one pair of quotes stripped, last one wins."""
    conf = {}
    for line in data.split(b'\n'):
        text = line.decode('latin-1')  # one character per byte, as Perl reads it
        match = PERL_RULES.match(text)
        if match:
            quoted = PERL_QUOTES.match(match.group(2))
            value = quoted.group(2) if quoted else match.group(2)
            conf[match.group(1).encode('latin-1')] = value.encode('latin-1')
    return conf


PERL_BATCH = r'''
use strict;
use warnings;
use OAR::Conf qw(init_conf get_conf_list reset_conf);
$SIG{__WARN__} = sub { print STDERR @_ };
for my $file (@ARGV) {
    reset_conf();
    init_conf($file) == 1 or die "cannot read $file";
    my $conf = get_conf_list();
    print join(' ', map { unpack('H*', $_) . ':' . unpack('H*', $conf->{$_}) } sort keys %$conf), "\n";
}
'''


def perl_lib_dir():
    directory = os.environ.get('OAR3_PERL_LIB_DIR')
    if not directory:
        pytest.skip('OAR3_PERL_LIB_DIR is unset: it must name the directory holding OAR/Conf.pm, OAR2\'s real reader '
                    '(export OAR3_PERL_LIB_DIR=$(tools/oar_conf_pm.sh DEST) unpacks Debian\'s liboar-perl there)')
    if not os.path.isfile(os.path.join(directory, 'OAR', 'Conf.pm')):
        pytest.fail('OAR3_PERL_LIB_DIR=%s holds no OAR/Conf.pm' % directory)
    if shutil.which('perl') is None:
        pytest.skip('perl is not installed')
    return directory


def real_perl_read(paths):
    """{key bytes: value bytes} of each file, as OAR::Conf's init_conf reads it; one perl for all."""
    if not paths:
        return []
    done = subprocess.run(['perl', '-I', perl_lib_dir(), '-e', PERL_BATCH] + list(paths),
                          env={'PATH': os.environ.get('PATH', '/usr/bin:/bin')}, capture_output=True, check=False)
    assert done.returncode == 0 and done.stderr == b'', done.stderr.decode('utf-8', 'replace')
    out = []
    for line in done.stdout.decode('ascii').split('\n')[:-1]:
        pairs = (item.split(':') for item in line.split(' ') if item)
        out.append({bytes.fromhex(k): bytes.fromhex(v) for k, v in pairs})
    assert len(out) == len(paths)
    return out


# ---------------------------------------------------------------- bash

BASH = '/bin/bash'
CANARIES = ('id', 'sh', 'bash', 'true', 'false', 'echo', 'cat', 'ls', 'rm', 'touch', 'env', 'printf', 'test',
            'perl', 'python3', 'curl', 'wget', 'comment', 'c', 'why', 'x', 'a', 'b', 'v', 'oar')


class BashRun(object):
    """What one file did when sourced: values of the asked keys (None: unset), and anything it ran or printed."""

    def __init__(self, values, ran, stdout, stderr, finished):
        self.values, self.ran, self.stdout, self.stderr, self.finished = values, ran, stdout, stderr, finished

    @property
    def inert(self):
        return self.finished and not self.ran and self.stdout == b'' and self.stderr == b''

    def __repr__(self):
        return 'BashRun(values=%r, ran=%r, stdout=%r, stderr=%r, finished=%r)' % (
            self.values, self.ran, self.stdout, self.stderr, self.finished)


def _canary_dir(work):
    directory = os.path.join(work, 'canary-bin')
    if not os.path.isdir(directory):
        os.mkdir(directory)
        for name in CANARIES:
            path = os.path.join(directory, name)
            with open(path, 'w') as f:
                f.write('#!%s\nprintf "%%s %%s\\n" "${__oarq_case-?}" "$0" >>"%s/ran"\n' % (BASH, work))
            os.chmod(path, 0o755)
    return directory


def real_bash_read(work, cases, locale='C.UTF-8'):
    """Source each (path, keys) of cases with the real bash, each in its own subshell; a BashRun each.

    work is an empty directory for the run's records. Everything goes
    through one pipe: per case a start mark, what sourcing printed (stdout
    then stderr, each to its own mark), the values, an end mark.
    """
    if not os.access(BASH, os.X_OK):
        pytest.skip('bash is not installed')
    canary = _canary_dir(work)
    lines = [
        'command_not_found_handle() { printf "%%s %%s\\n" "${__oarq_case-?}" "$1" >>"%s/ran"; return 127; }' % work,
        'export __oarq_case',
        # Builtins run no program: a DEBUG trap (inherited by `.` with set -T)
        # records every command of the file that is not an assignment.
        "__oarq_trap() { [[ ${BASH_SOURCE[1]-} == \"$__oarq_file\" ]] || return 0; "
        "[[ $BASH_COMMAND =~ ^(export[[:space:]]+)?[A-Za-z_][A-Za-z0-9_]*= ]] && return 0; "
        'printf "%%s command:%%s\\n" "$__oarq_case" "$BASH_COMMAND" >>"%s/ran"; }' % work,
        'set -T',
    ]
    for index, (path, keys) in enumerate(cases):
        lines.append(
            '( __oarq_case=%d; __oarq_file="%s"; printf "\\001%%s\\001" %d; printf "\\001%%s\\001" %d >&2; '
            'trap __oarq_trap DEBUG; . "$__oarq_file" </dev/null; trap - DEBUG; printf "\\003"; '
            'for __oarq_k in %s; do printf "%%s\\0%%s\\0" "${!__oarq_k+set}" "${!__oarq_k-}"; done; printf "\\004" )'
            % (index, path, index, index, ' '.join(keys)))
    script = os.path.join(work, 'driver.sh')
    with open(script, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    env = {'PATH': canary, 'LC_ALL': locale}
    done = subprocess.run([BASH, '--norc', '--noprofile', script], env=env, capture_output=True, check=False,
                          stdin=subprocess.DEVNULL)
    ran = {}
    if os.path.exists(os.path.join(work, 'ran')):
        with open(os.path.join(work, 'ran'), 'rb') as f:
            for record in f.read().decode('utf-8', 'replace').splitlines():
                case, dummy, command = record.partition(' ')
                ran.setdefault(case, []).append(command)

    def by_case(stream):
        # '\1N\1' starts case N; what a case prints cannot hold '\1' (the files are text).
        parts = stream.split(b'\1')
        return {int(number): body for number, body in zip(parts[1::2], parts[2::2]) if number.isdigit()}
    outs, errs = by_case(done.stdout), by_case(done.stderr)
    results = []
    for index, (path, keys) in enumerate(cases):
        body = outs.get(index, b'')
        finished = body.endswith(b'\4') and b'\3' in body
        stdout, stderr, values = body, errs.get(index, b'') if index in errs else b'?', {}
        if finished:
            stdout, dummy, after = body.rpartition(b'\3')
            if after:
                fields = after[:-1].split(b'\0')[:-1]
                for key, isset, value in zip(keys, fields[0::2], fields[1::2]):
                    values[key] = value if isset == b'set' else None
        results.append(BashRun(values, ran.get(str(index), []), stdout, stderr, finished))
    return results
