# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the dependencies and debs roles decide, as plain functions.

Private to the collection (not a public API). Nothing here starts a process
or talks to a host: the action plugins (controller) and the modules (servers,
build hosts) call these and do the I/O themselves, so that every decision is
unit-tested on its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re

# Debian releases the collection supports, and the OAR3 releases each runs.
# Debian 12 ships SQLAlchemy 1.4 (OAR3 3.0.2 needs 2.0 and fails at import
# with "cannot import name 'Null' from 'sqlalchemy'"); Debian 13 ships 2.0.
RELEASES = {
    'bookworm': {
        'major': '12', 'newest': '3.0.1', 'oldest': '3.0.0',
        'too_new_hint': 'OAR3 3.0.2 and later need SQLAlchemy 2 (Debian 13); use oar3_version 3.0.1 on Debian 12',
        'too_old_hint': '',
    },
    'trixie': {
        'major': '13', 'newest': '', 'oldest': '3.0.2',
        'too_new_hint': '',
        'too_old_hint': 'OAR3 before 3.0.2 is not known to run on Debian 13\'s SQLAlchemy 2; use oar3_version 3.0.2 or '
                        'later, or Debian 12 for 3.0.1',
    },
}

# Build dependencies of the pybuild packaging (and git, to read the source).
BUILD_PACKAGES = ['build-essential', 'debhelper', 'dh-python', 'dpkg-dev', 'fakeroot', 'git', 'python3-all',
                  'python3-setuptools']

# What the collection's packaging of python3-oar adds to the Depends that
# dh-python derives from OAR3's requirements: procset has no Debian mapping,
# psycopg2 is not in OAR3's base requirements (upstream's control adds both).
OAR_DEPENDS = ['python3-procset', 'python3-psycopg2']

RELEASE_RE = re.compile(r'^[0-9]+([.][0-9]+){1,3}(-[0-9]+)?$')
TAG_RE = re.compile(r'^[0-9]+([.][0-9]+)+(-[0-9]+)?$')
COMMIT_RE = re.compile(r'^[0-9a-f]{40}$')
DEB_RE = re.compile(r'^([a-z0-9][a-z0-9+.-]*)_([^_/]+)_([a-z0-9-]+)\.deb$')
SHA256_RE = re.compile(r'^[0-9a-fA-F]{64}$')


class DebsError(Exception):
    """A refusal, with the message the user sees."""


# ---------------------------------------------------------------- releases

def _version_tuple(version):
    return tuple(int(p) for p in re.split(r'[.-]', version))


def decide_release(wanted, facts):
    """The OAR3 release for a server: `wanted` (oar3_version, may be empty)
    checked against the server's Debian (`facts`: ansible_facts). Raises
    DebsError with the roles' messages."""
    codename = facts.get('distribution_release', '')
    if facts.get('os_family') != 'Debian' or facts.get('distribution') != 'Debian' or codename not in RELEASES:
        raise DebsError('%s %s (%s) is not supported: OAR3 on OAR2 is supported on Debian 12 (bookworm) and '
                        'Debian 13 (trixie).' % (facts.get('distribution', 'unknown'),
                                                 facts.get('distribution_version', ''), codename))
    limits = RELEASES[codename]
    wanted = '' if wanted is None else str(wanted)
    version = wanted or limits['newest'] or limits['oldest']
    if not RELEASE_RE.match(version):
        raise DebsError("oar3_version '%s' is not an OAR3 release number such as 3.0.1 or 3.0.2." % version)
    debian = 'Debian %s (%s)' % (limits['major'], codename)
    if limits['newest'] and _version_tuple(version) > _version_tuple(limits['newest']):
        raise DebsError('oar3_version %s cannot run on %s: %s.' % (version, debian, limits['too_new_hint']))
    if limits['oldest'] and _version_tuple(version) < _version_tuple(limits['oldest']):
        raise DebsError('oar3_version %s cannot run on %s: %s.' % (version, debian, limits['too_old_hint']))
    return version


# ------------------------------------------------------------------- apt

def missing_packages(dpkg_query_stdout, wanted):
    """The names of `wanted` that `dpkg-query --show --showformat='${Package}
    ${db:Status-Status}\\n'` does not show installed, in order, once each."""
    installed = set()
    for line in dpkg_query_stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1] == 'installed':
            installed.add(fields[0].split(':')[0])
    missing = []
    for name in wanted:
        if name not in installed and name not in missing:
            missing.append(name)
    return missing


def deb_name(filename):
    """(package, version, architecture) of a .deb named the Debian way
    (<name>_<version>_<arch>.deb; the epoch is left out), or None."""
    match = DEB_RE.match(os.path.basename(filename))
    return match.groups() if match else None


def debs_to_install(dpkg_query_stdout, files):
    """The .deb files whose package is not installed at the file's version
    (`dpkg-query --showformat='${Package} ${db:Status-Status} ${Version}\\n'`)."""
    installed = set(tuple(line.split()) for line in dpkg_query_stdout.splitlines() if len(line.split()) == 3)
    todo = []
    for path in files:
        name, version, _arch = deb_name(path)
        if (name, 'installed', version) not in installed:
            todo.append(path)
    return todo


def versions_text(dpkg_query_stdout, names):
    """'<name> <version>' per package of `names` (installed or not), for a diff."""
    shown = {}
    for line in dpkg_query_stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == 'installed':
            shown[fields[0]] = fields[2]
    return ''.join('%s %s\n' % (n, shown.get(n, '(not installed)')) for n in names)


LOCK_RE = re.compile(r'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock|is another process using it')


def apt_lock_busy(stderr):
    """Whether apt failed only because another apt or dpkg holds its lock
    (unattended-upgrades, or a build host sharing a package cache)."""
    return bool(LOCK_RE.search(stderr or ''))


# What apt says of a package its lists do not hold: lists that look fresh by
# their time but were emptied (container images remove them) or are older
# than the archive.
UNKNOWN_PACKAGE_RE = re.compile(r"Unable to locate package |has no installation candidate|"
                                r"is not available, but is referred to")


def lists_lack_package(stderr):
    """Whether apt-get install failed because its package lists do not know a package."""
    return bool(UNKNOWN_PACKAGE_RE.search(stderr or ''))


def cache_is_fresh(mtime, now, valid_time):
    """Whether an apt cache updated at `mtime` (None: never) is still fresh."""
    return mtime is not None and valid_time > 0 and now - mtime < valid_time


# -------------------------------------------------------------- the store

def default_store(environ, home):
    """The per-user cache directory of the builds: $XDG_CACHE_HOME/oar.oar3/debs,
    else ~/.cache/oar.oar3/debs (the XDG base directory rule: a relative
    XDG_CACHE_HOME is ignored)."""
    cache = environ.get('XDG_CACHE_HOME', '')
    if not os.path.isabs(cache):
        cache = os.path.join(home, '.cache')
    return os.path.join(cache, 'oar.oar3', 'debs')


def store_root(debs_dir, environ, home):
    """oar3_debs_dir as an absolute controller path, expanded once: empty is
    the per-user cache, ~ is the controller user's home."""
    if not debs_dir:
        return default_store(environ, home)
    if debs_dir == '~' or debs_dir.startswith('~/'):
        debs_dir = home + debs_dir[1:]
    return os.path.abspath(debs_dir)


class Store:
    """The layout of the controller directory (oar3_debs_dir):

        downloads/              what oar3_debs_prebuilt gives by URL
        sources/                procset's sdist, packed source directories
        prebuilt/<sha256>/      each release tarball, unpacked
        <codename>/             the built .deb files
        <codename>/builds/      one index per build: <binary>-<key>.json
    """

    def __init__(self, root):
        self.root = root
        self.downloads = os.path.join(root, 'downloads')
        self.sources = os.path.join(root, 'sources')

    def prebuilt(self, sha256):
        return os.path.join(self.root, 'prebuilt', sha256)

    def debs(self, codename):
        return os.path.join(self.root, codename)

    def index(self, codename, binary, key):
        return os.path.join(self.root, codename, 'builds', '%s-%s.json' % (binary, key))

    def done(self, codename):
        """Every build the store holds for a release, as '<binary>-<key>' (an
        index whose .deb is there): a git source's key is known only once the
        build host has resolved its reference."""
        builds = os.path.join(self.root, codename, 'builds')
        try:
            names = sorted(os.listdir(builds))
        except OSError:
            return []
        return [n[:-len('.json')] for n in names
                if n.endswith('.json') and read_index(os.path.join(builds, n))]

    def packed_source(self, fingerprint):
        return os.path.join(self.sources, 'oar3-%s.tar.gz' % fingerprint[:12])

    def download(self, url, subdir):
        name = url_basename(url)
        return os.path.join(self.root, subdir, name)


def is_url(src):
    return bool(re.match(r'^https?://', src or ''))


def url_basename(url):
    path = re.sub(r'^https?://[^/]*', '', url).split('?')[0].split('#')[0]
    name = path.rstrip('/').split('/')[-1]
    if not name or name in ('.', '..'):
        raise DebsError('%s names no file to download.' % url)
    return name


def index_record(deb, origin, method, builder):
    """The text of a build index."""
    return json.dumps({'deb': deb, 'origin': origin, 'method': method, 'builder': builder},
                      indent=4, sort_keys=True) + '\n'


def read_index(path):
    """The .deb path an index names, if the index and the .deb are both there."""
    try:
        with open(path) as f:
            deb = json.load(f)['deb']
    except (OSError, IOError, ValueError, KeyError, TypeError):
        return None
    full = os.path.join(os.path.dirname(os.path.dirname(path)), os.path.basename(deb))
    return full if os.path.isfile(full) else None


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def tree_fingerprint(top):
    """sha256 over the files of a source directory (paths and contents,
    sorted, .git left out): two directories with the same files get the same."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(top):
        if dirpath == top and '.git' in dirnames:
            dirnames.remove('.git')
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                entries.append((os.path.relpath(path, top), sha256_file(path)))
    digest = hashlib.sha256()
    for rel, sha in sorted(entries, key=lambda e: e[0].encode('utf-8', 'surrogateescape')):
        digest.update(('%s  ./%s\n' % (sha, rel)).encode('utf-8', 'surrogateescape'))
    return digest.hexdigest()


def check_sha256(path, expected, src, sha_var):
    """Raise the roles' mismatch message when `expected` is set and differs."""
    if not expected:
        return sha256_file(path)
    actual = sha256_file(path)
    if actual != expected.lower():
        raise DebsError('%s: sha256 mismatch for %s: expected %s, the file has %s.' % (sha_var, src, expected, actual))
    return actual


def pick_pair(paths, sources):
    """The python3-oar and python3-procset .deb among `paths`, or the refusal."""
    oar = [p for p in paths if re.search(r'(^|/)python3-oar_[^/]*[.]deb$', p)]
    procset = [p for p in paths if re.search(r'(^|/)python3-procset_[^/]*[.]deb$', p)]
    if len(oar) != 1 or len(procset) != 1:
        def names(found):
            return ', '.join(os.path.basename(p) for p in found) or 'none'
        raise DebsError('oar3_debs_prebuilt must hold exactly one python3-oar and one python3-procset .deb; '
                        'found python3-oar: %s; python3-procset: %s (in %s).'
                        % (names(oar), names(procset), ', '.join(sources)))
    return {'procset': procset[0], 'oar': oar[0]}


# ----------------------------------------------------------------- jobs

# The variables that make a server's job, read for every server of the batch.
JOB_VARS = ('oar3_debs_method', 'oar3_debs_build_method', 'oar3_source_repo', 'oar3_source_version',
            'oar3_source_packaging_branch', 'oar3_source_path', 'oar3_procset_source', 'oar3_procset_sha256',
            'oar3_debs_prebuilt', 'oar3_dependencies_version')

_MISSING = object()


def host_value(own, own_hostvars, other_hostvars, name, default=_MISSING):
    """The value of variable `name` for another server of the batch, seen from
    the first one, whose task sees `own` (every precedence level applied).

    hostvars[] show inventory, facts and extra vars but not what a play, a role
    (vars, parameters) or an include sets, which is the same for every server:
    when the first server's task value differs from its hostvars, that level
    decided it, for all; otherwise each server's hostvars decide, and the
    role's default fills in."""
    if name in own_hostvars:
        if own_hostvars[name] != own:
            return own
        return other_hostvars.get(name, own if default is _MISSING else default)
    if default is not _MISSING and own != default:
        return own
    return other_hostvars.get(name, own)


def describe_job(values, facts):
    """The packages a server needs, from its variables (JOB_VARS) and facts:
    servers with equal jobs share one build or one prebuilt set."""
    method = values['oar3_debs_method']
    path = values.get('oar3_source_path') or ''
    build_method = values['oar3_debs_build_method']
    ref = values.get('oar3_source_version') or ''
    if not ref:
        ref = values.get('oar3_dependencies_version') or '' if build_method == 'pybuild' \
            else values.get('oar3_source_packaging_branch') or ''
    job = {
        'method': method,
        'codename': facts.get('distribution_release', ''),
        'major': str(facts.get('distribution_major_version', '')),
    }
    if method == 'prebuilt':
        job['prebuilt'] = [{'src': str(i.get('src', '')), 'sha256': str(i.get('sha256') or '')}
                           for i in values.get('oar3_debs_prebuilt') or []]
        if not job['prebuilt']:
            raise DebsError('oar3_debs_method is "prebuilt" but oar3_debs_prebuilt lists no .deb file or tarball.')
        return job
    job.update({
        'build_method': build_method,
        'repo': '' if path else values['oar3_source_repo'],
        'ref': '' if path else str(ref),
        'path': path,
        'procset': values['oar3_procset_source'],
        'procset_sha256': values.get('oar3_procset_sha256') or '',
    })
    return job


def job_id(job):
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:16]


def choose_builder(codename, builders, servers):
    """The build host of a Debian release: the first of `builders` (names and
    codenames, in group order) running it, else the first server running it."""
    for name, release in list(builders) + list(servers):
        if release == codename:
            return name
    return None


def builds_self(host, codename, batch, builders):
    """Whether `host` is the build host of its release: no member of the
    builders group runs it and `host` is the batch's first server running it
    (`batch` and `builders`: (name, codename) pairs)."""
    return choose_builder(codename, builders, batch) == host


# --------------------------------------------------------------- building

def resolve_ref(ls_remote_stdout, ref, repo):
    """(commit, tag) that `git ls-remote -- repo ref` shows for `ref`, or the
    refusal. A 40-digit ref is taken as the commit itself."""
    if COMMIT_RE.match(ref):
        return ref, ''
    refs = {}
    for line in ls_remote_stdout.splitlines():
        parts = line.split('\t')
        if len(parts) == 2:
            refs[parts[1]] = parts[0]
    tag = refs.get('refs/tags/%s^{}' % ref) or refs.get('refs/tags/%s' % ref) or ''
    commit = tag or refs.get('refs/heads/%s' % ref, '')
    if not COMMIT_RE.match(commit):
        raise DebsError("oar3_source_version '%s' is neither a tag nor a branch of %s (OAR3 release tags look like "
                        "3.0.1; a commit must be given in full, 40 hex digits)." % (ref, repo))
    return commit, ref if tag else ''


def build_key(method, source_id):
    return '%s-%s' % (method, source_id[:12])


def upstream_version(text, regex):
    found = re.search(regex, text or '')
    return found.group(1) if found else ''


def debian_upstream(version):
    """A Python (PEP 440) version as a Debian upstream version that sorts the
    same way: pre-releases and development versions before their release
    (3.0.3dev -> 3.0.3~dev, 3.0.1.dev1 -> 3.0.1~dev1, 3.1rc1 -> 3.1~rc1),
    post-releases after it (3.0.2.post1 -> 3.0.2+post1). Anything else is
    kept as it is."""
    found = re.match(r'^(\d+(?:\.\d+)*)(.*)$', version or '')
    if not found:
        return version or ''
    release, rest = found.groups()
    marker = re.match(r'^[.-]?(dev|a|alpha|b|beta|c|rc|pre|preview)(.*)$', rest, re.I)
    if marker:
        return '%s~%s%s' % (release, marker.group(1), marker.group(2).replace('-', '.'))
    post = re.match(r'^[.-]?(post|rev|r)(.*)$', rest, re.I)
    if post:
        return '%s+%s%s' % (release, post.group(1), post.group(2).replace('-', '.'))
    return version


def _dpkg_order(c):
    if c == '~':
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _dpkg_part(a, b):
    """dpkg's comparison of two upstream (or revision) strings."""
    while a or b:
        sa, a = re.match(r'^([^0-9]*)(.*)$', a).groups()
        sb, b = re.match(r'^([^0-9]*)(.*)$', b).groups()
        for i in range(max(len(sa), len(sb))):
            ca = _dpkg_order(sa[i]) if i < len(sa) else 0
            cb = _dpkg_order(sb[i]) if i < len(sb) else 0
            if ca != cb:
                return -1 if ca < cb else 1
        da, a = re.match(r'^([0-9]*)(.*)$', a).groups()
        db, b = re.match(r'^([0-9]*)(.*)$', b).groups()
        if int(da or 0) != int(db or 0):
            return -1 if int(da or 0) < int(db or 0) else 1
    return 0


def dpkg_compare(a, b):
    """-1, 0 or 1 as dpkg --compare-versions orders two versions
    ([epoch:]upstream[-revision])."""
    def split(v):
        epoch, rest = v.split(':', 1) if ':' in v else ('0', v)
        upstream, revision = rest.rsplit('-', 1) if '-' in rest else (rest, '')
        return int(epoch or 0), upstream, revision
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _dpkg_part(ua, ub) or _dpkg_part(ra, rb)


def parse_describe(text):
    """(last release tag, commits since it) from `git describe --tags --long`
    (3.0.2-5-g1234567), or ('', 0) when the commit follows no release tag."""
    found = re.match(r'^(.+)-([0-9]+)-g[0-9a-f]+$', (text or '').strip())
    if not found or not TAG_RE.match(found.group(1)):
        return '', 0
    return found.group(1), int(found.group(2))


def package_version(tag, found, fingerprint, major, describe=''):
    """(upstream, Debian version) of a package the collection builds.

    A release tag names the release (upstream's tag 3.0.1 still says
    3.0.1.dev1). Any other source gets its fingerprint after its version, so
    that two sources never make the same file name, and sorts between the
    release it follows and the next one, so that apt upgrades a development
    build to that release and never the other way round:
    - its own version when that is ahead of the last release tag (describe),
      as a pre-release of it: master's 3.0.3dev after 3.0.2 gives
      3.0.3~dev+g<commit>, before 3.0.3;
    - else (a version not bumped since the tag) the tag, then the number of
      commits since it: 3.0.2+5.g<commit>, after 3.0.2.
    Empty upstream: no version found."""
    if tag and TAG_RE.match(tag):
        upstream = tag
    else:
        base, since = parse_describe(describe)
        own = debian_upstream(found)
        if base and (not own or dpkg_compare(own, base) <= 0):
            # The tagged commit itself is the release.
            upstream = '%s+%d.%s' % (base, since, fingerprint.lstrip('+')) if since and fingerprint else base
        elif own:
            if base and '~' not in own:
                own += '~'  # ahead of the last tag and not released yet
            upstream = own + (fingerprint or '')
        else:
            return '', ''
    return upstream, '%s-0oar3~deb%s' % (upstream, major)


def packaging_files(pkg, maintainer, date):
    """The debian/ directory of the collection's minimal pybuild packaging:
    {relative path: text}. `pkg` has source_name, binary, version, origin,
    description, depends and scripts_dir; `date` is RFC 2822."""
    depends = ', '.join(['${misc:Depends}', '${python3:Depends}'] + list(pkg.get('depends') or []))
    control = (
        'Source: {source}\nSection: python\nPriority: optional\nMaintainer: {maintainer}\n'
        'Build-Depends: debhelper-compat (= 13), dh-python, python3-all, python3-setuptools\n'
        'Standards-Version: 4.6.2\nRules-Requires-Root: no\n\n'
        'Package: {binary}\nArchitecture: all\nDepends: {depends}\nDescription: {description}\n'
        ' Built by the oar.oar3 Ansible collection from {origin}.\n'
    ).format(source=pkg['source_name'], maintainer=maintainer, binary=pkg['binary'], depends=depends,
             description=pkg['description'], origin=pkg['origin'])
    changelog = (
        '{source} ({version}) unstable; urgency=medium\n\n'
        '  * Built by the oar.oar3 Ansible collection from {origin}.\n\n'
        ' -- {maintainer}  {date}\n'
    ).format(source=pkg['source_name'], version=pkg['version'], origin=pkg['origin'], maintainer=maintainer,
             date=date)
    rules = '#!/usr/bin/make -f\n# Written by the oar.oar3 Ansible collection.\n\nexport PYBUILD_DISABLE=test\n'
    if pkg.get('scripts_dir'):
        rules += 'export PYBUILD_INSTALL_ARGS_python3=--install-scripts=%s\n' % pkg['scripts_dir']
    rules += '\n%:\n\tdh $@ --with python3 --buildsystem=pybuild\n'
    return {'control': control, 'changelog': changelog, 'rules': rules, 'source/format': '3.0 (native)\n'}


def source_builds(job, source, procset_sha256, procset_location):
    """The two builds of a source job: python3-procset from its sdist, then
    python3-oar from `source` ({kind: git|archive, location, id, commit, tag,
    origin}; id and commit are empty for git until the build host resolved
    the ref)."""
    procset = {
        'binary': 'python3-procset', 'source_name': 'procset', 'method': 'pybuild',
        'key': build_key('pybuild', procset_sha256), 'kind': 'archive', 'location': procset_location,
        'tag': '', 'origin': url_basename(job['procset']) if is_url(job['procset'])
        else os.path.basename(job['procset']),
        'version_file': 'PKG-INFO', 'version_regex': r'(?m)^Version: *(\S+)', 'fingerprint': '',
        'scripts_dir': '', 'depends': [],
        'description': 'Python implementation of sets of closed intervals (OAR3 dependency)',
    }
    oar = {
        'binary': 'python3-oar', 'source_name': 'oar3', 'method': job['build_method'],
        'key': build_key(job['build_method'], source['id']) if source.get('id') else '',
        'kind': source['kind'], 'location': source['location'], 'ref': source.get('ref', ''),
        'tag': source.get('tag', ''), 'origin': source['origin'],
        'version_file': 'oar/__init__.py', 'version_regex': r'''(?m)^__version__\s*=\s*['"]([^'"]+)''',
        'fingerprint': '+s' + source['id'][:7] if source['kind'] == 'archive' else '',
        'scripts_dir': '/usr/lib/oar', 'depends': list(OAR_DEPENDS),
        'description': 'OAR3 library and scripts (kamelot, kao) for use with OAR2',
    }
    return [procset, oar]
