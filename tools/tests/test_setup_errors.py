"""Bad set-up gets a clear one-line message from the tools/ scripts, not a trace.

These run the real scripts. Only what cannot exist on this machine is played:
another OS (an os-release fixture) and a dockerd that cannot start (a fake
dockerd first on PATH, with a docker client that sees no engine).
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent


def run(script, *args, env=None, user=None):
    cmd = ["bash", str(TOOLS / script), *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=300, check=False)


def assert_clear_error(result, *words):
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: "), result.stderr
    for word in words:
        assert word in last, last
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("script", ["test.sh", "demo.sh", "ensure-docker.sh", "images/build.sh", "docs.sh"])
def test_refuses_non_root(script):
    assert_clear_error(run(script, user=65534), "run this as root")


@pytest.mark.parametrize("script", ["test.sh", "demo.sh", "ensure-docker.sh", "images/build.sh", "docs.sh"])
def test_refuses_other_os(tmp_path, script):
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=fedora\nPRETTY_NAME="Fedora Linux 41"\n')
    assert_clear_error(run(script, env={"OAR3_OS_RELEASE": str(os_release)}), "Debian 12 or 13 only", "Fedora Linux 41")


def test_dockerd_that_cannot_start(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    (fake / "dockerd").write_text("#!/bin/sh\necho 'failed to start daemon: no cgroup mount' >&2\nexit 1\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    result = run("ensure-docker.sh", env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert_clear_error(result, "dockerd did not start")
    assert "no cgroup mount" in result.stderr


def test_debootstrap_without_archive():
    # A closed port on loopback: debootstrap gets no Release file. The mirror
    # is part of the recipe, so the script really tries to build.
    result = run("images/build.sh", "12", env={"OAR3_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"})
    assert_clear_error(result, "debootstrap bookworm", "127.0.0.1:9", "archive reachable")
    # The message points at debootstrap's log, which is kept for the user.
    log = Path(re.search(r"\(log: (\S+)\)", result.stderr).group(1))
    assert "127.0.0.1:9" in log.read_text()
    log.unlink()


def test_unknown_release():
    assert_clear_error(run("images/build.sh", "11"), "unsupported Debian release '11'")


@pytest.mark.parametrize("args, words", [
    (["14"], "unknown argument '14'"),
    (["--keep"], "unknown argument '--keep'"),
    (["12", "13"], "give one Debian release"),
    (["--destroy", "12"], "--destroy takes no other argument"),
])
def test_demo_refuses_bad_arguments_before_starting_anything(args, words):
    before = subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True, check=False).stdout
    assert_clear_error(run("demo.sh", *args), words)
    assert subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True, check=False).stdout == before


@pytest.mark.parametrize("args, words", [
    (["--keep"], "unknown argument '--keep'"),
    (["a", "b"], "give one OUTDIR"),
])
def test_docs_refuses_bad_arguments(args, words):
    assert_clear_error(run("docs.sh", *args), words)


def test_docs_never_replaces_a_directory_that_is_not_a_site(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    assert_clear_error(run("docs.sh", str(tmp_path)), str(tmp_path), "holds no docs site")
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_newest_venv_without_a_python_for_it(tmp_path):
    # Debian 12's own python3 is 3.11, and this pyenv root has no version.
    result = run("venv.sh", "newest", env={"PATH": "/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "pyenv"),
                                           "OAR3_NEWEST_VENV": str(tmp_path / "venv")})
    assert_clear_error(result, "Python >= 3.12 is needed for ansible-core==2.21")
    assert "OAR3_PYTHON" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_venv_unknown_line():
    assert_clear_error(run("venv.sh", "oldest"), "unknown argument 'oldest'")


def test_ee_run_needs_the_collection_tarball(tmp_path):
    assert_clear_error(run("ee/run.sh", str(tmp_path / "oar-oar3-0.2.0.tar.gz")), "usage: tools/ee/run.sh", "is missing")
