"""The build hosts: they got the build dependencies and kept no build tree."""

import pytest
from oartest import installed_version

testinfra_hosts = ["builder-deb12", "builder-deb13"]


@pytest.mark.parametrize("package", ["debhelper", "dh-python", "dpkg-dev", "fakeroot", "python3-all", "git"])
def test_build_dependencies_installed(host, package):
    assert installed_version(host, package) is not None


def test_build_tree_removed(host):
    assert host.file("/var/tmp/oar3-build").is_directory
    assert host.run("find /var/tmp/oar3-build -mindepth 1 -maxdepth 1").stdout == ""


def test_oar_not_installed_on_builders(host):
    assert installed_version(host, "python3-oar") is None
