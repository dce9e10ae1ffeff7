"""Whole runs of the debs role: reuse, prebuilt packages, refusals, upstream
packaging. Each run goes through ansible-playbook like a user's."""

import functools
import glob
import http.server
import os
import re
import subprocess
import threading

import pytest
from oartest import installed_version, other_host, role_play, run_play

testinfra_hosts = ["oar2-deb12"]

DEBS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "oar3-debs")


@pytest.fixture(scope="module")
def prebuilt_dir(tmp_path_factory):
    """The controller directory the prebuilt runs share, as a user's would be."""
    return str(tmp_path_factory.mktemp("prebuilt-debs"))


def packages(host):
    return {p: installed_version(host, p) for p in ("python3-oar", "python3-procset")}


def snapshot(host):
    """What a refused run must leave alone on the server."""
    return packages(host), host.check_output("ls -l --time-style=+%s /var/cache/oar3-debs /etc/oar")


def built(codename, name):
    found = glob.glob(os.path.join(DEBS, codename, name + "_*.deb"))
    assert len(found) == 1, found
    return found[0]


def make_tarball(tmp_path, files, name="debian-packages.bookworm.tar.gz"):
    """An upstream-style release tarball: the .deb files under one directory."""
    top = tmp_path / "debian-packages"
    top.mkdir(exist_ok=True)
    for f in files:
        os.link(f, top / os.path.basename(f))
    tarball = tmp_path / name
    subprocess.run(["tar", "-C", str(tmp_path), "-czf", str(tarball), "debian-packages"], check=True)
    return str(tarball)


def built_on(run):
    """Hosts on whose behalf dpkg-buildpackage ran: the build task (one item per
    build host and source, which always resolves the source) built something."""
    return {h for t in run.tasks if "with dpkg-buildpackage" in t["task"]["name"]
            for h, r in t["hosts"].items() for item in r.get("results", [r]) if item.get("built")}


def build_times(run):
    """{binary: [start, end]} of the dpkg-buildpackage runs of a play."""
    return {b: t for task in run.tasks if "with dpkg-buildpackage" in task["task"]["name"]
            for r in task["hosts"].values() for item in r.get("results", [r])
            for b, t in item.get("build_times", {}).items()}


def sha256(path):
    return subprocess.run(["sha256sum", path], capture_output=True, text=True, check=True).stdout.split()[0]


def test_controller_holds_one_build_per_release():
    for codename, release, debian in (("bookworm", "3.0.1", "12"), ("trixie", "3.0.2", "13")):
        oar = built(codename, "python3-oar")
        assert os.path.basename(oar) == "python3-oar_%s-0oar3~deb%s_all.deb" % (release, debian)
        assert open(oar, "rb").read(8) == b"!<arch>\n"
        assert os.path.basename(built(codename, "python3-procset")) == "python3-procset_1.0-0oar3~deb%s_all.deb" % debian
        assert len(glob.glob(os.path.join(DEBS, codename, "builds", "*.json"))) == 2


def test_second_run_rebuilds_and_changes_nothing(host):
    debs = [built(c, n) for c in ("bookworm", "trixie") for n in ("python3-oar", "python3-procset")]
    mtimes = [os.stat(d).st_mtime for d in debs]
    run = run_play(host, role_play("debs"))
    assert run.rc == 0, run.failures()
    assert run.changed() == 0
    assert not built_on(run)
    assert [os.stat(d).st_mtime for d in debs] == mtimes


def test_check_mode_on_a_server_without_oar3_changes_nothing(host, tmp_path):
    host.check_output("apt-get purge -y -q python3-oar python3-procset")
    try:
        # A controller without any build yet: check mode says what it would build, and builds nothing.
        run = run_play(host, role_play("debs"), {"oar3_debs_dir": str(tmp_path)}, limit="oar2-deb12", check=True)
        assert run.rc == 0, run.failures()
        assert run.changed("oar2-deb12") > 0
        assert {"Would build python3-procset", "Would build python3-oar"} <= {
            line.split(" from ")[0] for line in re.findall(r"Would build [^\n\"]+", run.output)}, run.output[-3000:]
        assert not glob.glob(str(tmp_path / "*" / "*.deb"))
        assert packages(host) == {"python3-oar": None, "python3-procset": None}
    finally:
        assert run_play(host, role_play("debs"), limit="oar2-deb12").rc == 0
    assert packages(host)["python3-oar"] == "3.0.1-0oar3~deb12"


def test_prebuilt_from_a_release_tarball(host, tmp_path, prebuilt_dir):
    tarball = make_tarball(tmp_path, [built("bookworm", "python3-oar"), built("bookworm", "python3-procset")])
    host.check_output("apt-get purge -y -q python3-oar python3-procset")
    conf = host.check_output("stat -c '%a %U %Y' /etc/oar/oar.conf && md5sum /etc/oar/oar.conf")
    prebuilt = {"oar3_debs_method": "prebuilt", "oar3_debs_dir": prebuilt_dir,
                "oar3_debs_prebuilt": [{"src": tarball, "sha256": sha256(tarball)}]}
    run = run_play(host, role_play("debs"), prebuilt, limit="oar2-deb12")
    assert run.rc == 0, run.failures()
    assert packages(host) == {"python3-oar": "3.0.1-0oar3~deb12", "python3-procset": "1.0-0oar3~deb12"}
    assert host.check_output("stat -c '%a %U %Y' /etc/oar/oar.conf && md5sum /etc/oar/oar.conf") == conf
    again = run_play(host, role_play("debs"), prebuilt, limit="oar2-deb12")
    assert again.rc == 0 and again.changed() == 0, again.failures()


def test_prebuilt_deb_files(host, prebuilt_dir):
    prebuilt = {"oar3_debs_method": "prebuilt", "oar3_debs_dir": prebuilt_dir,
                "oar3_debs_prebuilt": [{"src": built("bookworm", n)} for n in ("python3-procset", "python3-oar")]}
    run = run_play(host, role_play("debs"), prebuilt, limit="oar2-deb12")
    assert run.rc == 0 and run.changed() == 0, run.failures()


def test_prebuilt_tarball_by_url(host, tmp_path):
    # Served on the controller's loopback: the role downloads on the controller.
    tarball = make_tarball(tmp_path, [built("bookworm", "python3-oar"), built("bookworm", "python3-procset")])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/%s" % (server.server_address[1], os.path.basename(tarball))
        run = run_play(host, role_play("debs"), {"oar3_debs_method": "prebuilt", "oar3_debs_dir": str(tmp_path / "d"),
                                                 "oar3_debs_prebuilt": [{"src": url, "sha256": sha256(tarball)}]},
                       limit="oar2-deb12")
    finally:
        server.shutdown()
    assert run.rc == 0, run.failures()
    assert os.path.exists(tmp_path / "d" / "downloads" / os.path.basename(tarball))
    assert packages(host)["python3-oar"] == "3.0.1-0oar3~deb12"


def test_source_from_a_controller_directory_and_archive(host, tmp_path):
    # The OAR3 source as a directory, then as an archive with one top
    # directory, on the controller instead of a git repository.
    src = tmp_path / "oar3-3.0.1"
    builder = other_host(host, "builder-deb12")
    repo = builder.check_output("mktemp -d")
    builder.check_output("git clone -q --branch 3.0.1 /srv/oar3.git %s/oar3-3.0.1 && tar -C %s -cf %s/src.tar oar3-3.0.1",
                         repo, repo, repo)
    subprocess.run(["docker", "cp", "builder-deb12:%s/src.tar" % repo, str(tmp_path)], check=True)
    subprocess.run(["tar", "-C", str(tmp_path), "-xf", str(tmp_path / "src.tar")], check=True)
    archive = str(tmp_path / "oar3-3.0.1.tar.gz")
    subprocess.run(["tar", "-C", str(tmp_path), "-czf", archive, "oar3-3.0.1"], check=True)
    # One debs directory: the two sources (same __version__) must not make the same file.
    debs = str(tmp_path / "debs")
    for n, path in enumerate((str(src), archive), 1):
        run = run_play(host, role_play("debs"), {"oar3_source_path": path, "oar3_debs_dir": debs},
                       limit="oar2-deb12")
        assert run.rc == 0, run.failures()
        assert built_on(run) == {"oar2-deb12"}
        if n == 1:  # a new store: python3-procset and python3-oar were built at the same time
            times = build_times(run)
            assert set(times) == {"python3-procset", "python3-oar"}, times
            assert max(t[0] for t in times.values()) < min(t[1] for t in times.values()), times
        oar = [os.path.basename(d) for d in glob.glob(os.path.join(debs, "bookworm", "python3-oar_*.deb"))]
        # The version is the source's own (the real 3.0.1 says 3.0.1.dev1) and its fingerprint.
        assert len(oar) == n and all(re.match(r"python3-oar_3\.0\.1[^_]*\+s[0-9a-f]{7}-0oar3~deb12_all\.deb$", d)
                                     for d in oar), oar
    again = run_play(host, role_play("debs"), {"oar3_source_path": str(src), "oar3_debs_dir": debs},
                     limit="oar2-deb12")
    assert again.rc == 0 and not built_on(again), again.failures()


def test_package_that_cannot_run_is_not_installed(host, tmp_path):
    # OAR3 3.0.2 built for Debian 13 needs SQLAlchemy 2; Debian 12 has 1.4.
    before = snapshot(host)
    prebuilt = {"oar3_debs_method": "prebuilt", "oar3_debs_dir": str(tmp_path / "debs"),
                "oar3_debs_prebuilt": [{"src": built("trixie", n)} for n in ("python3-procset", "python3-oar")]}
    run = run_play(host, role_play("debs"), prebuilt, limit="oar2-deb12")
    assert run.rc != 0
    message = run.failures()["oar2-deb12"]
    assert "nothing was installed" in message and "cannot import name 'Null' from 'sqlalchemy'" in message
    assert packages(host) == before[0]


REFUSALS = [
    ({"oar3_debs_method": "bogus"}, "oar3_debs_method must be one of: source, prebuilt, got: bogus"),
    ({"oar3_debs_build_method": "make"}, "oar3_debs_build_method must be one of: pybuild, upstream, got: make"),
    ({"oar3_source_repo": "/srv/no-such-repo.git"}, "Cannot read the OAR3 repository oar3_source_repo=/srv/no-such-repo.git"),
    ({"oar3_source_version": "9.9.9"}, "oar3_source_version '9.9.9' is neither a tag nor a branch"),
    ({"oar3_debs_method": "prebuilt"}, "oar3_debs_prebuilt lists no .deb file or tarball"),
    ({"oar3_debs_method": "prebuilt", "oar3_debs_prebuilt": [{"src": "/nonexistent/python3-oar_1_all.deb"}]},
     "/nonexistent/python3-oar_1_all.deb is not a file on the controller"),
    ({"oar3_procset_sha256": "0" * 64}, "oar3_procset_sha256: sha256 mismatch"),
    ({"oar3_source_path": "/nonexistent/oar3"}, "oar3_source_path=/nonexistent/oar3 is neither a directory nor a file"),
]


@pytest.mark.parametrize("extra, message", REFUSALS, ids=[m.split(":")[0][:40] for _, m in REFUSALS])
def test_bad_input_is_refused_and_changes_nothing(host, tmp_path, extra, message):
    before = snapshot(host)
    extra = dict({"oar3_debs_dir": str(tmp_path / "debs")}, **extra)
    run = run_play(host, role_play("debs"), extra, limit="oar2-deb12")
    assert run.rc != 0
    assert message in "\n".join(run.failures().values()), run.failures()
    assert snapshot(host) == before
    assert not built_on(run)


def test_tarball_without_python3_oar_or_with_a_wrong_sha256(host, tmp_path):
    tarball = make_tarball(tmp_path, [built("bookworm", "python3-procset")])
    before = snapshot(host)
    for item, message in (
        ({"src": tarball}, "found python3-oar: none; python3-procset: python3-procset_1.0-0oar3~deb12_all.deb"),
        ({"src": tarball, "sha256": "f" * 64}, "sha256 mismatch for %s: expected %s" % (tarball, "f" * 64)),
    ):
        run = run_play(host, role_play("debs"), {"oar3_debs_method": "prebuilt", "oar3_debs_dir": str(tmp_path / "d"),
                                                 "oar3_debs_prebuilt": [item]}, limit="oar2-deb12")
        assert run.rc != 0 and message in run.failures().get("oar2-deb12", ""), run.failures()
        assert snapshot(host) == before


def test_upstream_packaging_branch(host, tmp_path):
    # As upstream's build-deb.sh: debian/ from the packaging branch. On Debian 12
    # the branch head (3.0.2) cannot run, so build its 3.0.1 release commit.
    builder = other_host(host, "builder-deb12")
    commit = builder.check_output("git -C /srv/oar3.git log --format=%s --grep=%s -1 debian/3.0", "%H", "^Releasing 3.0.1")
    assert len(commit) == 40
    extra = {"oar3_debs_build_method": "upstream", "oar3_source_version": commit, "oar3_debs_dir": str(tmp_path / "debs")}
    if not os.environ.get("OAR3_SOURCE"):
        # The stand-in's packaging needs none of the compilers and doc tools that
        # upstream's full build does; one small package keeps that step exercised.
        extra["oar3_debs_upstream_build_packages"] = ["po-debconf"]
    run = run_play(host, role_play("debs"), extra, limit="oar2-deb12")
    assert run.rc == 0, run.failures()
    assert built_on(run) == {"oar2-deb12"}
    assert packages(host)["python3-oar"].startswith("3.0.1")
    assert host.run("python3 -c 'import oar.kao.kamelot, oar.kao.kao'").rc == 0


def test_dependencies_once_per_host_and_no_apt_on_a_rerun(host):
    # As migrate.yml runs them: the dependencies role, then debs (whose role
    # dependency on it is then skipped); nothing is missing, so no apt runs.
    play = [{"name": "both roles", "hosts": "oar2_servers",
             "roles": [{"role": "oar.oar3.dependencies"}, {"role": "oar.oar3.debs"}]}]
    # The tests before may have left another build installed: converge first.
    assert run_play(host, play).rc == 0
    run = run_play(host, play)
    assert run.rc == 0 and run.changed() == 0, run.failures()
    decided = [(h, r) for t in run.tasks if "Decide the OAR3 release" in t["task"]["name"]
               for h, r in t["hosts"].items() if not r.get("skipped")]
    assert sorted(h for h, _ in decided) == ["oar2-deb12", "oar2-deb13"], decided
    assert all(r.get("missing") == [] for _, r in decided), decided
    installs = [r for t in run.tasks if "Install python3-procset and python3-oar" in t["task"]["name"]
                for r in t["hosts"].values()]
    assert len(installs) == 2 and all(r.get("installed") == [] for r in installs), installs


def test_development_head_builds_installs_activates_and_sorts_between_releases(host, tmp_path):
    # oar3_source_version naming a branch head after the last release: master,
    # which says 3.0.3dev after the tag 3.0.2 (upstream's and the stand-in's).
    # Debian 13 builds, installs and runs it (kamelot schedules a round), and its
    # version sorts after 3.0.2 and before 3.0.3, so that apt takes that release over it.
    deb13, builder = other_host(host, "oar2-deb13"), other_host(host, "builder-deb13")
    commit = builder.check_output("git -C /srv/oar3.git rev-parse --short=7 master")
    base = builder.check_output("git -C /srv/oar3.git describe --tags --abbrev=0 --match '[0-9]*' master")
    following = "%s.%d" % (base.rsplit(".", 1)[0], int(base.rsplit(".", 1)[1]) + 1)
    on13 = {"oar3_source_version": "master", "oar3_debs_dir": str(tmp_path / "debs")}
    try:
        run = run_play(host, role_play("debs"), on13, limit="oar2-deb13")
        assert run.rc == 0, run.failures()
        version = installed_version(deb13, "python3-oar")
        assert "+g%s" % commit in version and version.endswith("-0oar3~deb13"), version
        for lower in (base + "-0oar3~deb13", base + "-1"):
            assert deb13.run("dpkg --compare-versions %s gt %s", version, lower).rc == 0, (version, lower)
        for higher in (following + "-0oar3~deb13", following + "-1", following + "~rc1-1"):
            assert deb13.run("dpkg --compare-versions %s lt %s", version, higher).rc == 0, (version, higher)
        assert deb13.run("python3 -c 'import oar.kao.kamelot, oar.kao.kao'").rc == 0
        switch = run_play(host, role_play("kamelot"), limit="oar2-deb13")
        assert switch.rc == 0, switch.failures()
        assert switch.ran("Check that a round since the switch ran kamelot") == {"oar2-deb13"}
    finally:
        back = run_play(host, role_play("kamelot", oar3_kamelot_state="absent"), limit="oar2-deb13")
        assert back.rc == 0, back.failures()
        # The release again, from the scenario's own build (a downgrade from the development build).
        release = run_play(host, role_play("debs"), {"oar3_debs_dir": DEBS}, limit="oar2-deb13")
        assert release.rc == 0, release.failures()
    assert installed_version(deb13, "python3-oar") == base + "-0oar3~deb13"
