# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.oar.oar3.plugins.module_utils import _debs
from ansible_collections.oar.oar3.plugins.module_utils._debs import DebsError

DEB12 = {'os_family': 'Debian', 'distribution': 'Debian', 'distribution_release': 'bookworm',
         'distribution_version': '12.8', 'distribution_major_version': '12'}
DEB13 = dict(DEB12, distribution_release='trixie', distribution_version='13.1', distribution_major_version='13')


# ---------------------------------------------------------------- releases

@pytest.mark.parametrize('facts, wanted, version', [(DEB12, '', '3.0.1'), (DEB13, '', '3.0.2'), (DEB12, '3.0.0', '3.0.0'),
                                                    (DEB13, '3.0.3', '3.0.3'), (DEB13, '3.0.2-1', '3.0.2-1')])
def test_release_decided(facts, wanted, version):
    assert _debs.decide_release(wanted, facts) == version


@pytest.mark.parametrize('facts, wanted, message', [
    (DEB12, '3.0.2', 'oar3_version 3.0.2 cannot run on Debian 12 (bookworm): OAR3 3.0.2 and later need SQLAlchemy 2 '
                     '(Debian 13); use oar3_version 3.0.1 on Debian 12.'),
    (DEB13, '3.0.1', 'oar3_version 3.0.1 cannot run on Debian 13 (trixie): OAR3 before 3.0.2 is not known to run'),
    (DEB12, 'banana', "oar3_version 'banana' is not an OAR3 release number"),
    (DEB12, '3', "oar3_version '3' is not an OAR3 release number"),
    (DEB12, '3.0.1; rm -rf /', "oar3_version '3.0.1; rm -rf /' is not an OAR3 release number"),
    (dict(DEB12, distribution='Ubuntu', distribution_release='noble', distribution_version='24.04'), '',
     'Ubuntu 24.04 (noble) is not supported: OAR3 on OAR2 is supported on Debian 12 (bookworm) and Debian 13'),
    (dict(DEB12, distribution_release='bullseye'), '', 'is not supported'),
    ({}, '', 'is not supported'),
])
def test_release_refused(facts, wanted, message):
    with pytest.raises(DebsError) as refused:
        _debs.decide_release(wanted, facts)
    assert message in str(refused.value)


# ------------------------------------------------------------------- apt

def test_missing_packages():
    out = 'python3 installed\npython3-zmq not-installed\npython3-apt:amd64 installed\n'
    assert _debs.missing_packages(out, ['python3', 'python3-zmq', 'git', 'python3-apt', 'git']) == ['python3-zmq', 'git']
    assert _debs.missing_packages('', []) == []


def test_debs_to_install():
    out = 'python3-procset installed 1.0-0oar3~deb12\npython3-oar installed 3.0.0-0oar3~deb12\n'
    files = ['python3-procset_1.0-0oar3~deb12_all.deb', 'python3-oar_3.0.1-0oar3~deb12_all.deb']
    assert _debs.debs_to_install(out, files) == files[1:]
    assert _debs.debs_to_install(out.replace('3.0.0', '3.0.1'), files) == []
    assert _debs.debs_to_install('python3-oar deinstall 3.0.1-0oar3~deb12\n', files[1:]) == files[1:]


def test_deb_name():
    assert _debs.deb_name('/x/python3-oar_3.0.1+g1234567-0oar3~deb12_all.deb') == (
        'python3-oar', '3.0.1+g1234567-0oar3~deb12', 'all')
    assert _debs.deb_name('python3-oar.deb') is None


def test_cache_freshness():
    assert _debs.cache_is_fresh(100, 200, 3600)
    assert not _debs.cache_is_fresh(100, 4000, 3600)
    assert not _debs.cache_is_fresh(None, 200, 3600)
    assert not _debs.cache_is_fresh(100, 100, 0)


# -------------------------------------------------------------- the store

def test_store_root_default_is_the_user_cache():
    assert _debs.store_root('', {}, '/home/u') == '/home/u/.cache/oar.oar3/debs'
    assert _debs.store_root('', {'XDG_CACHE_HOME': '/var/c'}, '/home/u') == '/var/c/oar.oar3/debs'
    assert _debs.store_root('', {'XDG_CACHE_HOME': 'rel'}, '/home/u') == '/home/u/.cache/oar.oar3/debs'
    assert _debs.store_root('~/debs', {}, '/home/u') == '/home/u/debs'
    assert _debs.store_root('/srv/d/', {}, '/home/u') == '/srv/d'


def test_store_layout():
    store = _debs.Store('/s')
    assert store.index('bookworm', 'python3-oar', 'pybuild-abc') == '/s/bookworm/builds/python3-oar-pybuild-abc.json'
    assert store.download('https://h/p/procset-1.0.tar.gz?x=1', 'sources') == '/s/sources/procset-1.0.tar.gz'
    assert store.prebuilt('f' * 64) == '/s/prebuilt/' + 'f' * 64
    assert store.packed_source('a' * 64) == '/s/sources/oar3-aaaaaaaaaaaa.tar.gz'
    with pytest.raises(DebsError):
        _debs.url_basename('https://host/')


def test_index_round_trip(tmp_path):
    (tmp_path / 'bookworm' / 'builds').mkdir(parents=True)
    index = tmp_path / 'bookworm' / 'builds' / 'python3-oar-pybuild-abc.json'
    index.write_text(_debs.index_record('python3-oar_3.0.1-0oar3~deb12_all.deb', 'o', 'pybuild', 'b'))
    assert json.loads(index.read_text())['builder'] == 'b'
    assert _debs.read_index(str(index)) is None  # the .deb is not there
    (tmp_path / 'bookworm' / 'python3-oar_3.0.1-0oar3~deb12_all.deb').write_bytes(b'!<arch>\n')
    assert _debs.read_index(str(index)) == str(tmp_path / 'bookworm' / 'python3-oar_3.0.1-0oar3~deb12_all.deb')
    index.write_text('not json')
    assert _debs.read_index(str(index)) is None
    assert _debs.read_index(str(tmp_path / 'none.json')) is None


def test_tree_fingerprint(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    for top in (a, b):
        (top / 'oar').mkdir(parents=True)
        (top / 'oar' / '__init__.py').write_text('__version__ = "3.0.1"\n')
    (b / '.git').mkdir()
    (b / '.git' / 'HEAD').write_text('ref')
    assert _debs.tree_fingerprint(str(a)) == _debs.tree_fingerprint(str(b))
    (b / 'setup.py').write_text('')
    assert _debs.tree_fingerprint(str(a)) != _debs.tree_fingerprint(str(b))


def test_check_sha256(tmp_path):
    f = tmp_path / 'f'
    f.write_bytes(b'x')
    sha = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'
    assert _debs.check_sha256(str(f), '', 'src', 'var') == sha
    assert _debs.check_sha256(str(f), sha.upper(), 'src', 'var') == sha
    with pytest.raises(DebsError) as refused:
        _debs.check_sha256(str(f), '0' * 64, 'src', 'oar3_procset_sha256')
    assert str(refused.value) == ('oar3_procset_sha256: sha256 mismatch for src: expected %s, the file has %s.'
                                  % ('0' * 64, sha))


def test_pick_pair():
    paths = ['/d/python3-procset_1.0-0oar3~deb12_all.deb', '/d/python3-oar_3.0.1-0oar3~deb12_all.deb',
             '/d/python3-oar-doc_3.0.1_all.deb']
    assert _debs.pick_pair(paths, ['t']) == {'procset': paths[0], 'oar': paths[1]}
    with pytest.raises(DebsError) as refused:
        _debs.pick_pair(paths[:1], ['t.tar.gz'])
    assert 'found python3-oar: none; python3-procset: python3-procset_1.0-0oar3~deb12_all.deb (in t.tar.gz)' \
        in str(refused.value)


# ----------------------------------------------------------------- jobs

def test_host_value_follows_precedence():
    default = ''
    # inventory value of another server wins when the first server's comes from its inventory
    assert _debs.host_value('a', {'v': 'a'}, {'v': 'b'}, 'v', default) == 'b'
    # ... and the role default fills in when the other has none
    assert _debs.host_value('a', {'v': 'a'}, {}, 'v', default) == default
    # a role/play/include-level value overrides inventories for every server
    assert _debs.host_value('r', {'v': 'a'}, {'v': 'b'}, 'v', default) == 'r'
    assert _debs.host_value('r', {}, {'v': 'b'}, 'v', default) == 'r'
    # the role default, and another server's inventory
    assert _debs.host_value(default, {}, {'v': 'b'}, 'v', default) == 'b'
    assert _debs.host_value(default, {}, {}, 'v', default) == default
    # a fact (no default)
    assert _debs.host_value('3.0.1', {'v': '3.0.1'}, {'v': '3.0.2'}, 'v') == '3.0.2'


VALUES = {'oar3_debs_method': 'source', 'oar3_debs_build_method': 'pybuild', 'oar3_source_repo': 'R',
          'oar3_source_version': '', 'oar3_source_packaging_branch': 'debian/3.0', 'oar3_source_path': '',
          'oar3_procset_source': 'https://h/procset-1.0.tar.gz', 'oar3_procset_sha256': 'S',
          'oar3_debs_prebuilt': [], 'oar3_dependencies_version': '3.0.1'}


def test_describe_job():
    job = _debs.describe_job(VALUES, DEB12)
    assert job == {'method': 'source', 'codename': 'bookworm', 'major': '12', 'build_method': 'pybuild', 'repo': 'R',
                   'ref': '3.0.1', 'path': '', 'procset': 'https://h/procset-1.0.tar.gz', 'procset_sha256': 'S'}
    assert _debs.describe_job(dict(VALUES, oar3_debs_build_method='upstream'), DEB12)['ref'] == 'debian/3.0'
    assert _debs.describe_job(dict(VALUES, oar3_source_version='abc'), DEB12)['ref'] == 'abc'
    path = _debs.describe_job(dict(VALUES, oar3_source_path='/src'), DEB12)
    assert (path['repo'], path['ref'], path['path']) == ('', '', '/src')
    prebuilt = _debs.describe_job(dict(VALUES, oar3_debs_method='prebuilt', oar3_debs_prebuilt=[{'src': 'x.deb'}]),
                                  DEB12)
    assert prebuilt == {'method': 'prebuilt', 'codename': 'bookworm', 'major': '12',
                        'prebuilt': [{'src': 'x.deb', 'sha256': ''}]}
    with pytest.raises(DebsError) as refused:
        _debs.describe_job(dict(VALUES, oar3_debs_method='prebuilt'), DEB12)
    assert 'oar3_debs_prebuilt lists no .deb file or tarball' in str(refused.value)
    assert _debs.job_id(job) == _debs.job_id(dict(job)) != _debs.job_id(path)


def test_choose_builder():
    builders = [('b13', 'trixie'), ('b12', 'bookworm'), ('b12bis', 'bookworm')]
    servers = [('s12', 'bookworm'), ('s13', 'trixie'), ('s12bis', 'bookworm')]
    assert _debs.choose_builder('bookworm', builders, servers) == 'b12'
    assert _debs.choose_builder('bookworm', [], servers) == 's12'
    assert _debs.builds_self('s12', 'bookworm', servers, []) is True
    assert _debs.builds_self('s12bis', 'bookworm', servers, []) is False
    assert _debs.builds_self('s12', 'bookworm', servers, builders) is False


# --------------------------------------------------------------- building

LS_REMOTE = ('1111111111111111111111111111111111111111\trefs/heads/master\n'
             '2222222222222222222222222222222222222222\trefs/tags/3.0.1\n'
             '3333333333333333333333333333333333333333\trefs/tags/3.0.1^{}\n'
             '4444444444444444444444444444444444444444\trefs/tags/3.0.2\n')


def test_resolve_ref():
    assert _debs.resolve_ref(LS_REMOTE, '3.0.1', 'R') == ('3' * 40, '3.0.1')  # the peeled tag
    assert _debs.resolve_ref(LS_REMOTE, '3.0.2', 'R') == ('4' * 40, '3.0.2')
    assert _debs.resolve_ref(LS_REMOTE, 'master', 'R') == ('1' * 40, '')
    assert _debs.resolve_ref('', 'a' * 40, 'R') == ('a' * 40, '')
    with pytest.raises(DebsError) as refused:
        _debs.resolve_ref(LS_REMOTE, '9.9.9', 'R')
    assert "oar3_source_version '9.9.9' is neither a tag nor a branch of R" in str(refused.value)


def test_package_version():
    assert _debs.package_version('3.0.1', '3.0.1.dev1', '+g1234567', '12') == ('3.0.1', '3.0.1-0oar3~deb12')
    assert _debs.package_version('', '3.0.3dev', '+g1234567', '13') == ('3.0.3~dev+g1234567', '3.0.3~dev+g1234567-0oar3~deb13')
    assert _debs.package_version('master', '1.0', '', '12') == ('1.0', '1.0-0oar3~deb12')
    assert _debs.package_version('', '', '+s1', '12') == ('', '')
    assert _debs.upstream_version('__version__ = "3.0.2"\n', r'''(?m)^__version__\s*=\s*['"]([^'"]+)''') == '3.0.2'
    assert _debs.upstream_version('Name: procset\nVersion: 1.0\n', r'(?m)^Version: *(\S+)') == '1.0'


def test_packaging_files():
    job = {'build_method': 'pybuild', 'procset': '/x/procset-1.0.tar.gz'}
    procset, oar = _debs.source_builds(job, {'kind': 'archive', 'location': '/s.tar.gz', 'id': 'f' * 64,
                                             'origin': '/src (ffff)'}, 'a' * 64, '/x/procset-1.0.tar.gz')
    assert procset['key'] == 'pybuild-aaaaaaaaaaaa' and procset['origin'] == 'procset-1.0.tar.gz'
    assert oar['key'] == 'pybuild-ffffffffffff' and oar['fingerprint'] == '+sfffffff'
    files = _debs.packaging_files(dict(oar, version='3.0.1+sfffffff-0oar3~deb12'), 'M <m@x>', 'Mon, 01 Dec 2026')
    assert sorted(files) == ['changelog', 'control', 'rules', 'source/format']
    assert 'Depends: ${misc:Depends}, ${python3:Depends}, python3-procset, python3-psycopg2\n' in files['control']
    assert files['changelog'].startswith('oar3 (3.0.1+sfffffff-0oar3~deb12) unstable; urgency=medium\n')
    assert ' -- M <m@x>  Mon, 01 Dec 2026\n' in files['changelog']
    assert 'export PYBUILD_INSTALL_ARGS_python3=--install-scripts=/usr/lib/oar\n' in files['rules']
    assert '\tdh $@ --with python3 --buildsystem=pybuild\n' in files['rules']
    assert 'install-scripts' not in _debs.packaging_files(dict(procset, version='1.0-0oar3~deb12'), 'M', 'D')['rules']
    git = _debs.source_builds(job, {'kind': 'git', 'location': 'R', 'ref': '3.0.1', 'id': '', 'origin': 'R 3.0.1'},
                              'a' * 64, '/p')[1]
    assert git['key'] == '' and git['fingerprint'] == ''
    assert os.path.basename(procset['location']) == 'procset-1.0.tar.gz'


def test_versions_text():
    out = 'python3-oar installed 3.0.0-0oar3~deb12\npython3-procset deinstall 1.0\n'
    assert _debs.versions_text(out, ['python3-procset', 'python3-oar']) == (
        'python3-procset (not installed)\npython3-oar 3.0.0-0oar3~deb12\n')


def test_store_done(tmp_path):
    store = _debs.Store(str(tmp_path))
    assert store.done('bookworm') == []
    builds = tmp_path / 'bookworm' / 'builds'
    builds.mkdir(parents=True)
    for binary, key, deb in (('python3-oar', 'pybuild-abc', 'python3-oar_1_all.deb'),
                             ('python3-procset', 'pybuild-def', 'python3-procset_1_all.deb')):
        (builds / ('%s-%s.json' % (binary, key))).write_text(_debs.index_record(deb, 'o', 'pybuild', 'b'))
    (tmp_path / 'bookworm' / 'python3-oar_1_all.deb').write_bytes(b'')
    assert store.done('bookworm') == ['python3-oar-pybuild-abc']


@pytest.mark.parametrize('stderr, busy', [
    ('E: Unable to lock directory /var/cache/apt/archives/', True),
    ('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 123 (apt-get)', True),
    ('E: Unable to locate package python3-nosuch', False),
    ('', False)])
def test_apt_lock_busy(stderr, busy):
    assert _debs.apt_lock_busy(stderr) is busy


@pytest.mark.parametrize("stderr, lacking", [
    ("E: Unable to locate package python3-setuptools\n", True),
    ("E: Package 'python3-all' has no installation candidate\n", True),
    ("Package python3-all is not available, but is referred to by another package.\n", True),
    ("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 7 (apt-get)\n", False),
    ("E: Sub-process /usr/bin/dpkg returned an error code (1)\n", False),
    ("", False),
    (None, False),
])
def test_lists_lack_package(stderr, lacking):
    assert _debs.lists_lack_package(stderr) is lacking


# ------------------------------------------- development heads (issue 21)

# Pairs in dpkg's order (each sorts before the next), checked against the real
# dpkg below: the release a development build follows, the build, the next release.
ORDERED = ['3.0.1-0oar3~deb12', '3.0.1+3.g1234567-0oar3~deb12', '3.0.2~dev+g1234567-0oar3~deb12',
           '3.0.2-0oar3~deb12', '3.0.2+0oar3-1', '3.0.2+5.gabcdef0-0oar3~deb13', '3.0.3~dev+gabcdef0-0oar3~deb13',
           '3.0.3~rc1-0oar3~deb13', '3.0.3-0oar3~deb13', '3.0.3-1', '3.0.10-0oar3~deb13', '1:0.1-1']


def dpkg_says(a, op, b):
    return subprocess.run(['dpkg', '--compare-versions', a, op, b], check=False).returncode == 0


@pytest.mark.skipif(not shutil.which('dpkg'), reason='dpkg is the reference')
def test_dpkg_compare_agrees_with_dpkg():
    versions = ORDERED + ['3.0.1.dev1', '3.0.1~dev1', '1.0', '1.0.0', '1.0a', '1.0~~', '1.0~', '1.0+', '2:1', '1.0-1.1']
    for a in versions:
        for b in versions:
            mine = _debs.dpkg_compare(a, b)
            assert dpkg_says(a, 'lt' if mine < 0 else 'gt' if mine > 0 else 'eq', b), (a, b, mine)
    for a, b in zip(ORDERED, ORDERED[1:]):
        assert _debs.dpkg_compare(a, b) < 0, (a, b)


def test_debian_upstream():
    assert _debs.debian_upstream('3.0.3dev') == '3.0.3~dev'
    assert _debs.debian_upstream('3.0.1.dev1') == '3.0.1~dev1'
    assert _debs.debian_upstream('3.0.0.dev7') == '3.0.0~dev7'
    assert _debs.debian_upstream('3.1rc1') == '3.1~rc1'
    assert _debs.debian_upstream('3.1.0-beta.2') == '3.1.0~beta.2'
    assert _debs.debian_upstream('3.0.2.post1') == '3.0.2+post1'
    assert _debs.debian_upstream('3.0.2') == '3.0.2'
    assert _debs.debian_upstream('') == ''


def test_parse_describe():
    assert _debs.parse_describe('3.0.2-5-gabcdef0\n') == ('3.0.2', 5)
    assert _debs.parse_describe('3.0.2-0-gabcdef0') == ('3.0.2', 0)
    assert _debs.parse_describe('debian/3.0.2-1-3-gabcdef0') == ('', 0)  # a packaging tag is no release
    assert _debs.parse_describe('') == ('', 0)
    assert _debs.parse_describe('fatal: No names found') == ('', 0)


@pytest.mark.parametrize('found, describe, upstream', [
    # master after 3.0.2, as upstream's says today: a pre-release of 3.0.3.
    ('3.0.3dev', '3.0.2-24-gc332316', '3.0.3~dev+gc332316'),
    # A version not bumped since the tag (or stale, as upstream's 3.0.1 says 3.0.1.dev1): after the tag.
    ('3.0.2', '3.0.2-3-gc332316', '3.0.2+3.gc332316'),
    ('3.0.1.dev1', '3.0.1-2-gc332316', '3.0.1+2.gc332316'),
    # The tagged commit named by its hash is the release.
    ('3.0.2', '3.0.2-0-gc332316', '3.0.2'),
    # Bumped to the next release before its tag: still before that release.
    ('3.0.3', '3.0.2-7-gc332316', '3.0.3~+gc332316'),
    # No release tag before it: its own version.
    ('0.5', '', '0.5+gc332316'),
])
def test_development_head_sorts_between_releases(found, describe, upstream):
    got, version = _debs.package_version('', found, '+gc332316', '13', describe)
    assert got == upstream
    base = _debs.parse_describe(describe)[0]
    if base:
        assert _debs.dpkg_compare(version, '%s-0oar3~deb13' % base) >= 0
        following = '%s.%d' % (base.rsplit('.', 1)[0], int(base.rsplit('.', 1)[1]) + 1)
        assert _debs.dpkg_compare(version, '%s-0oar3~deb13' % following) < 0, (version, following)


def test_a_failed_command_is_told_by_its_error_lines():
    from ansible_collections.oar.oar3.plugins.module_utils import _debs_host
    git = ("fatal: detected dubious ownership in repository at '/srv/oar3.git'\n"
           "To add an exception for this directory, call:\n\n\tgit config --global --add safe.directory /srv/oar3.git\n"
           "fatal: Could not read from remote repository.\n\n"
           "Please make sure you have the correct access rights\nand the repository exists.\n")
    assert _debs_host.last_line(git) == ("fatal: detected dubious ownership in repository at '/srv/oar3.git' | "
                                         "fatal: Could not read from remote repository.")
    assert _debs_host.last_line("Reading package lists...\nE: Unable to locate package nope\n") == \
        "E: Unable to locate package nope"
    assert _debs_host.last_line("one\ntwo\n\n") == "two"
    assert _debs_host.last_line("") == "no output"
