"""What the debs converge left on the OAR2 servers and the build hosts."""

import pytest
from oartest import installed_version

testinfra_hosts = ["oar2-deb12", "oar2-deb13"]

# The OAR3 release each Debian runs (the stand-in fixture's tags are the real ones).
OAR3 = {"oar2-deb12": ("3.0.1", "12"), "oar2-deb13": ("3.0.2", "13")}
BUILD_DEPENDENCIES = ["debhelper", "dh-python", "dpkg-dev", "fakeroot", "python3-all", "build-essential"]


def test_packages_at_the_expected_versions(host):
    release, debian = OAR3[host.backend.host]
    assert installed_version(host, "python3-oar") == "%s-0oar3~deb%s" % (release, debian)
    assert installed_version(host, "python3-procset") == "1.0-0oar3~deb%s" % debian


def test_kamelot_and_kao_are_there_and_import(host):
    for script in ("/usr/lib/oar/kamelot", "/usr/lib/oar/kao"):
        assert host.file(script).is_file and host.file(script).mode & 0o111, script
    cmd = host.run("python3 -c 'import oar.kao.kamelot, oar.kao.kao, oar; print(oar.__version__)'")
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip().startswith(OAR3[host.backend.host][0])  # the real 3.0.1 says 3.0.1.dev1


@pytest.mark.parametrize("package", BUILD_DEPENDENCIES)
def test_no_build_dependency_on_the_server(host, package):
    assert installed_version(host, package) is None


def test_oar_conf_untouched(host):
    # Installing python3-oar must not reset oar.conf (ucf, postinst modes).
    conf = host.file("/etc/oar/oar.conf")
    assert (conf.user, conf.group, conf.mode) == ("oar", "root", 0o600)
    assert 'DB_BASE_PASSWD="' in conf.content_string and "HIERARCHY_LABELS" not in conf.content_string
