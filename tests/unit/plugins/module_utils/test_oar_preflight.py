# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

import pytest
from ansible_collections.oar.oar3.plugins.module_utils._preflight import (
    check_labels, column_changes, leftovers, link_changes, package_versions, problems, public, read_conf,
)

CONF = '''DB_BASE_LOGIN="oar"
DB_BASE_PASSWD="s3cr3t"
#QUOTAS="yes"
LOG_FILE="/var/log/oar.log"
LOG_FILE="/var/log/oar2.log"
'''


def files(contents):
    def read(path):
        if path not in contents:
            raise OSError(errno.ENOENT, "No such file or directory")
        return contents[path]
    return read


def test_read_conf_as_perl_reads_it():
    values = read_conf(CONF)
    assert values == {"DB_BASE_LOGIN": "oar", "DB_BASE_PASSWD": "s3cr3t", "LOG_FILE": "/var/log/oar2.log"}


def test_stock_settings_pass():
    assert problems(read_conf(CONF), files({})) == []


@pytest.mark.parametrize("key", ["DB_BASE_PASSWD", "DB_BASE_PASSWD_RO", "DB_BASE_LOGIN", "DB_BASE_LOGIN_RO"])
@pytest.mark.parametrize("char", ["@", "/", ":", "%", "?", "#"])
def test_db_url_breakers_named_by_key_never_value(key, char):
    secret = "pa" + char + "ss-visible"
    found = problems({key: secret}, files({}))
    assert len(found) == 1 and found[0].startswith("%s contains '%s'" % (key, char))
    assert secret not in found[0]


def test_db_url_message_is_the_one_oar_conf_refuses_with():
    # One rule, one message: oar_conf refuses to write what preflight would later refuse.
    from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf
    found = problems({"DB_BASE_PASSWD": "a?b#c@d"}, files({}))
    assert found == [oar_conf.db_url_problem("DB_BASE_PASSWD", "a?b#c@d")]
    assert found[0].startswith("DB_BASE_PASSWD contains '#' and '?' and '@', which OAR3 cannot use")
    with pytest.raises(oar_conf.OarConfError) as refused:
        oar_conf.check_request({"DB_BASE_PASSWD": "a?b@d"}, [])
    assert oar_conf.db_url_problem("DB_BASE_PASSWD", "a?b@d") in str(refused.value)
    assert "a?b@d" not in str(refused.value)


def test_quotas_need_a_json_file():
    assert problems({"QUOTAS": "no"}, files({})) == []
    missing = problems({"QUOTAS": "yes"}, files({}))
    assert missing == ['QUOTAS="yes" but QUOTAS_CONF_FILE /etc/oar/quotas_conf.json cannot be read (No such file '
                       "or directory): OAR3's kamelot loads it on every round and crashes without it."]
    assert "is not valid JSON" in problems({"QUOTAS": "yes"}, files({"/etc/oar/quotas_conf.json": "{"}))[0]
    assert "not a JSON object" in problems({"QUOTAS": "yes", "QUOTAS_CONF_FILE": "/q"}, files({"/q": "[]"}))[0]
    assert problems({"QUOTAS": "yes", "QUOTAS_CONF_FILE": "/q"}, files({"/q": '{"quotas": {}}'})) == []


def test_public_refuses_secrets():
    assert public({"A": "1"}, ["A", "B"]) == {"A": "1", "B": None}
    with pytest.raises(ValueError, match="DB_BASE_PASSWD"):
        public({}, ["DB_BASE_PASSWD"])


def links_are(targets):
    def readlink(path):
        if path not in targets:
            raise OSError(errno.EINVAL, "Invalid argument")
        return targets[path]
    return readlink


def test_a_link_in_place_is_no_change_and_a_missing_or_wrong_one_is():
    wanted = [{"src": "/usr/lib/oar/kamelot", "dest": "/usr/lib/oar/schedulers/kamelot"}]
    assert link_changes(wanted, links_are({"/usr/lib/oar/schedulers/kamelot": "/usr/lib/oar/kamelot"})) == []
    assert link_changes(wanted, links_are({})) == [
        "link /usr/lib/oar/schedulers/kamelot -> /usr/lib/oar/kamelot (now: missing)"]
    assert link_changes(wanted, links_are({"/usr/lib/oar/schedulers/kamelot": "/opt/kamelot"})) == [
        "link /usr/lib/oar/schedulers/kamelot -> /usr/lib/oar/kamelot (now: /opt/kamelot)"]


def test_columns_are_read_once_per_table_and_only_missing_ones_are_changes():
    reads = []

    def columns_of(table):
        reads.append(table)
        return {"jobs": ["job_id", "state"], "resources": ["resource_id", "cpu"]}[table]

    wanted = [{"table": "jobs", "name": "last_karma"}, {"table": "jobs", "name": "state"},
              {"table": "resources", "name": "cpu"}]
    assert column_changes(wanted, columns_of) == ["column jobs.last_karma: missing -> added"]
    assert reads == ["jobs", "resources"]
    assert column_changes([], columns_of) == []


def test_package_versions_only_count_installed_packages():
    out = ("oar-server installed 2.5.9-1\n"
           "python3-oar not-installed \n"
           "python3-procset config-files 1.0-1\n")
    assert package_versions(["oar-server", "python3-oar", "python3-procset", "unknown"], out) == {
        "oar-server": "2.5.9-1", "python3-oar": None, "python3-procset": None, "unknown": None}
    assert package_versions([], "") == {}


def test_leftovers_are_only_the_temporary_files_of_that_file():
    entries = ["oar.conf", ".oar.conf.oar3-tmp-ab12cd34", ".oar.conf.oar3-tmp-short", ".other.oar3-tmp-ab12cd34",
               "oar.conf.bak", ".oar.conf.oar3-tmp-00000000"]
    assert leftovers("oar.conf", entries) == [".oar.conf.oar3-tmp-00000000", ".oar.conf.oar3-tmp-ab12cd34"]
    assert leftovers("oar.conf", ["oar.conf"]) == []


@pytest.mark.parametrize("labels", ["", "resource_id, cpu", "Cpu", "cpu,", ",cpu", None, 3])
def test_labels_of_a_bad_form_name_the_variable_before_any_column_is_read(labels):
    found = check_labels(labels, None, "oar3_kamelot_hierarchy_labels")
    assert len(found) == 1 and found[0].startswith("oar3_kamelot_hierarchy_labels '%s' must be" % labels)


def test_labels_are_checked_against_the_columns_once_their_form_is_good():
    assert check_labels("resource_id,cpu", None, "v") == []
    assert check_labels("resource_id,cpu", ["resource_id", "cpu"], "v") == []
    assert check_labels("resource_id,rack", ["resource_id", "cpu"], "v") == [
        "v: rack is not a column of the resources table (resource_id, cpu)."]
