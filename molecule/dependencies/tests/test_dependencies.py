"""Role oar.oar3.dependencies on Debian 12 and 13 OAR2 servers."""

import pytest
from oartest import installed_version, role_play, run_play

# The upstream page's list plus what python3-oar really depends on.
PAGE = ["python3", "python3-sqlalchemy", "python3-alembic", "python3-click", "python3-flask", "python3-passlib",
        "python3-psutil", "python3-requests", "python3-simplejson", "python3-sqlalchemy-utils", "python3-tabulate",
        "python3-toml", "python3-yaml", "python3-zmq", "python3-psycopg2", "python3-fastapi"]
MISSED_BY_THE_PAGE = ["python3-clustershell", "python3-escapism", "python3-rich"]
EXTRA = "python3-docopt"  # not installed by anything else here


@pytest.mark.parametrize("package", PAGE + MISSED_BY_THE_PAGE)
def test_installed(host, package):
    assert installed_version(host, package) is not None


def test_sqlalchemy_matches_the_release(host):
    major = host.check_output("python3 -c 'import sqlalchemy; print(sqlalchemy.__version__)'").split(".")[0]
    assert major == {"oar2-deb12": "1", "oar2-deb13": "2"}[host.backend.host]


def refuse(host, extra, message):
    run = run_play(host, role_play("dependencies"), dict({"oar3_dependencies_extra": [EXTRA]}, **extra),
                   limit=host.backend.host)
    assert run.rc != 0
    assert message in run.failures().get(host.backend.host, ""), run.failures()
    assert installed_version(host, EXTRA) is None


def test_refuses_a_release_this_debian_cannot_run(host):
    if host.backend.host == "oar2-deb12":
        refuse(host, {"oar3_version": "3.0.2"}, "oar3_version 3.0.2 cannot run on Debian 12 (bookworm): "
               "OAR3 3.0.2 and later need SQLAlchemy 2 (Debian 13); use oar3_version 3.0.1 on Debian 12.")
    else:
        refuse(host, {"oar3_version": "3.0.1"}, "oar3_version 3.0.1 cannot run on Debian 13 (trixie): "
               "OAR3 before 3.0.2 is not known to run")


@pytest.mark.parametrize("version", ["banana", "3", "3.0.1; rm -rf /"])
def test_refuses_what_is_not_a_release_number(host, version):
    refuse(host, {"oar3_version": version}, "oar3_version '%s' is not an OAR3 release number" % version)


@pytest.mark.parametrize("name, value", [("oar3_dependencies_extra", {"python3-docopt": 1}),
                                         ("oar3_dependencies_cache_valid_time", "soon")])
def test_refuses_a_wrong_type(host, name, value):
    refuse(host, {name: value}, "argument '%s' is of type" % name)


def test_refuses_another_operating_system(host):
    host.check_output("cp -a /etc/os-release /root/os-release.orig && rm /etc/os-release && "
                      "printf 'NAME=Ubuntu\\nID=ubuntu\\nID_LIKE=debian\\nVERSION_ID=\"24.04\"\\n"
                      "VERSION_CODENAME=noble\\nPRETTY_NAME=\"Ubuntu 24.04\"\\n' >/etc/os-release")
    try:
        refuse(host, {}, "is not supported: OAR3 on OAR2 is supported on Debian 12 (bookworm) and Debian 13 (trixie)")
    finally:
        host.check_output("mv /root/os-release.orig /etc/os-release")


def test_check_mode_then_extra_packages(host):
    check = run_play(host, role_play("dependencies"), {"oar3_dependencies_extra": [EXTRA]},
                     limit=host.backend.host, check=True)
    assert check.rc == 0 and check.changed() == 1, check.failures()
    assert installed_version(host, EXTRA) is None
    run = run_play(host, role_play("dependencies"), {"oar3_dependencies_extra": [EXTRA]}, limit=host.backend.host)
    assert run.rc == 0 and run.changed() == 1, run.failures()
    try:
        assert installed_version(host, EXTRA) is not None
    finally:
        host.check_output("apt-get purge -y -q %s", EXTRA)


def test_package_lists_emptied_after_a_recent_update_are_updated_once(host):
    # Fresh by their time, empty in fact (container images remove them):
    # apt cannot locate the package, so the role updates the lists once and
    # installs it, instead of failing for an hour.
    host.check_output("rm -rf /var/lib/apt/lists/* && touch /var/lib/apt/lists "
                      "&& rm -f /var/lib/apt/periodic/update-success-stamp")
    assert host.run("apt-cache show %s", EXTRA).rc != 0  # apt does not know it now
    run = run_play(host, role_play("dependencies"), {"oar3_dependencies_extra": [EXTRA]}, limit=host.backend.host)
    try:
        assert run.rc == 0 and run.changed() == 1, run.failures()
        assert installed_version(host, EXTRA) is not None
        assert host.run("ls /var/lib/apt/lists | grep -q '_Packages'").rc == 0
    finally:
        host.run("apt-get purge -y -q %s", EXTRA)
