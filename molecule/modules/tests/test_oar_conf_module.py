"""oar_conf on real OAR2 servers: the keys it writes read back in real bash
and real Perl (OAR2's own OAR::Conf); refusals change nothing and run nothing."""

import pytest

from oartest import ModuleFailed, bash_reads, conf_state, db_passwords, perl_reads, run_module

CONF = "/etc/oar/oar.conf"
WRITTEN = {
    "HIERARCHY_LABELS": "resource_id,network_address,cpu,core",
    "METASCHEDULER_OAR3_WITH_OAR2": "yes",
    "OAR3_TEST_PORT": "6667",
}


@pytest.mark.parametrize("key", sorted(WRITTEN))
def test_written_keys_read_back_in_bash_and_perl(host, key):
    assert bash_reads(host, key) == WRITTEN[key]
    assert perl_reads(host, key) == WRITTEN[key]
    assert host.file(CONF).contains('^%s="%s"$' % (key, WRITTEN[key]))


def test_owner_and_mode_kept(host):
    f = host.file(CONF)
    assert (f.user, f.group, f.mode) == ("oar", "root", 0o600)


def test_backup_was_made_once(host):
    backups = host.check_output("ls /etc/oar/ | grep -c '^oar.conf\\..*~$' || true")
    assert backups == "1"


def test_command_substitution_is_refused_and_never_run(host):
    host.run("rm -f /var/tmp/pwned")
    before = conf_state(host)
    for value in ("$(touch /var/tmp/pwned)", "`touch /var/tmp/pwned`", "a\\b", 'say "hi"', "x # y", "007"):
        with pytest.raises(ModuleFailed) as e:
            run_module(host, "oar_conf", settings={"OAR3_EVIL": value})
        assert "OAR3_EVIL" in e.value.result["msg"]
    assert conf_state(host) == before
    host.check_output("bash -c '. %s'" % CONF)  # sourcing the file runs nothing either
    assert not host.file("/var/tmp/pwned").exists


def test_check_mode_changes_nothing(host):
    before = conf_state(host)
    result = run_module(host, "oar_conf", check=True, diff=True, settings={"OAR3_TEST_PORT": 7000}, absent=["LOG_LEVEL"])
    assert result["changed"] is True
    assert result["changed_keys"] == ["LOG_LEVEL", "OAR3_TEST_PORT"]
    assert '+OAR3_TEST_PORT="7000"' in result["_output"] or 'OAR3_TEST_PORT=\\"7000\\"' in result["_output"]
    assert conf_state(host) == before


def test_db_passwords_never_shown(host):
    """-vvv and --diff, a change of the password itself: neither value appears."""
    secrets = db_passwords(host)
    result = run_module(host, "oar_conf", check=True, diff=True, verbosity=3,
                        settings={"DB_BASE_PASSWD": "NewPassw0rdForTest", "HIERARCHY_LABELS": "resource_id"})
    assert result["changed"] is True
    for secret in secrets + ["NewPassw0rdForTest"]:
        assert secret not in result["_output"]
    assert result["previous"]["DB_BASE_PASSWD"] == "********"
