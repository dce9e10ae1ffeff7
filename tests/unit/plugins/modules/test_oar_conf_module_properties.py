# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of the oar_conf module's real entry point on real files (issue 19).

For generated files and requests, run in-process as the other module tests
do: a refusal leaves the file's bytes, inode, owner, mode and mtime as they
were and no file beside it; an acceptance writes exactly what the planner
planned (whose writes test_oar_conf_properties checks with the real
readers), keeping owner and mode; and no secret, of the request or of the
file, is in the module's output (diff and -vvv invocation included) or log.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oar.oar3.plugins.module_utils import _conf as conf_utils
from ansible_collections.oar.oar3.plugins.modules import oar_conf
from ansible_collections.oar.oar3.tests.unit import oar_conf_strategies as strategies

MODULE_CASES = 2000
OLD_TIME = 1_500_000_000
UID, GID = 1234, 5678
COUNTS = {'cases': 0, 'accepted': 0, 'refused': 0}


def secrets_of(data, request_settings):
    return strategies.secrets_of(data, request_settings, conf_utils.is_secret)


def strings_of(value):
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k)] + strings_of(v)]
    if isinstance(value, list):
        return [s for item in value for s in strings_of(item)]
    return [str(value)]


def run_module(args):
    out = io.StringIO()
    code = None
    ansible_warnings._global_warnings = {}
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            oar_conf.main()
        except SystemExit as e:
            code = e.code
    return code, out.getvalue()


# Now and then an argument AnsibleModule itself refuses, beside the request.
EXTRA = [{}] * 6 + [{'bogus': 1}, {'backup': 'perhaps'}, {'create': [1]}, {'absent': 'A B'}, {'remove': {'x': 1}}]


@settings(max_examples=MODULE_CASES, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(strategies.cases, st.sampled_from(EXTRA))
def test_refusals_change_nothing_acceptances_write_the_plan_and_no_secret_is_shown(monkeypatch, case, extra):
    data, (request_settings, absent, remove) = case
    case = case + (extra,)
    log = []
    monkeypatch.setattr(basic.AnsibleModule, 'log', lambda self, msg, log_args=None: log.append(msg))
    COUNTS['cases'] += 1
    directory = tempfile.mkdtemp(prefix='oar-conf-mod-prop-')
    path = os.path.join(directory, 'oar.conf')
    try:
        with open(path, 'wb') as f:
            f.write(data)
        os.chown(path, UID, GID)
        os.chmod(path, 0o640)
        os.utime(path, (OLD_TIME, OLD_TIME))
        before = os.stat(path)
        check_mode = COUNTS['cases'] % 5 == 0
        args = dict(path=path, settings=request_settings, absent=absent, remove=remove,
                    _ansible_diff=True, _ansible_verbosity=3, _ansible_check_mode=check_mode)
        args.update(extra)
        code, out = run_module(args)
        result = json.loads(out)
        shown = '\n'.join(strings_of(result) + log)
        for secret in secrets_of(data, request_settings):
            assert secret not in shown and secret not in out, (case, secret)
        with open(path, 'rb') as f:
            after_data = f.read()
        after = os.stat(path)
        if code != 0:
            COUNTS['refused'] += 1
            assert result['failed'] is True
            assert after_data == data, case
            assert (after.st_ino, after.st_uid, after.st_gid, after.st_mode, after.st_mtime_ns) == (
                before.st_ino, before.st_uid, before.st_gid, before.st_mode, before.st_mtime_ns), case
        else:
            COUNTS['accepted'] += 1
            assert set(extra) <= {'absent'}, case  # 'A B' is a list of one key for AnsibleModule
            if 'absent' in extra:
                absent = ['A B']
            planned = conf_utils.plan(conf_utils.decode(data), request_settings, absent, remove)
            assert result['changed'] == (planned.text.encode('utf-8') != data), case
            expected = data if check_mode else planned.text.encode('utf-8')
            assert after_data == expected, case
            assert (after.st_uid, after.st_gid, after.st_mode & 0o7777) == (UID, GID, 0o640), case
            if after_data == data:
                assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), case
        assert os.listdir(directory) == ['oar.conf'], case
    finally:
        shutil.rmtree(directory)


def test_enough_module_cases():
    if not COUNTS['cases']:
        import pytest
        pytest.skip('the property test did not run in this session')
    print('oar_conf module properties: %(cases)d cases, %(accepted)d accepted, %(refused)d refused' % COUNTS)
    assert COUNTS['cases'] >= MODULE_CASES
    assert COUNTS['accepted'] >= COUNTS['cases'] // 5 and COUNTS['refused'] >= COUNTS['cases'] // 5, COUNTS
