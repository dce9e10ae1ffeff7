"""Bad inputs across the modules, the roles and the migration playbook: each
is refused with a message that names it, the whole server is left exactly as
it was (oar.conf, queues, OAR2's schedulers, records, packages, jobs'
columns, Almighty's process), and no DB password is shown (--diff -vvv)."""

import pytest
from faulttest import failure, role
from oartest import ModuleFailed, run_module, run_playbook, server_state

testinfra_hosts = ["oar2-deb13"]
GANTT = "oar_sched_gantt_with_timesharing"

MODULES = [
    ("oar_conf", {"settings": {"BAD KEY": "x"}}, "BAD KEY"),
    ("oar_conf", {"settings": {"OAR3_FAULT": 'say "hi"'}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "$HOME"}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "`id`"}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "a # b"}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": ""}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": " padded"}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "0042"}}, "OAR3_FAULT"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "x"}, "path": "/etc/oar/no-such.conf"}, "/etc/oar/no-such.conf"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "x"}, "remove": ["OAR3_FAULT"]}, "OAR3_FAULT"),
    ("oar_conf", {"remove": ["export LOG_LEVEL"]}, "export LOG_LEVEL"),
    ("oar_conf", {"settings": {"RANDOM": "4"}}, "RANDOM: a variable that bash sets or reads itself"),
    ("oar_conf", {"settings": {"PATH": "/tmp"}}, "PATH: a variable that bash sets or reads itself"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "sNaN"}}, "OAR3_FAULT: OAR3 would read the value as nothing"),
    ("oar_conf", {"settings": {"DB_BASE_PASSWD": "pa@ss"}}, "DB_BASE_PASSWD contains '@', which OAR3 cannot use"),
    ("oar_conf", {"settings": {"DB_BASE_LOGIN_RO": "oar?ro"}}, "DB_BASE_LOGIN_RO contains '?', which OAR3 cannot use"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "x"}, "path": "/etc/oar"}, "/etc/oar is a directory, not a regular file"),
    ("oar_conf", {"settings": {"OAR3_FAULT": "x"}, "path": "/dev/null"},
     "/dev/null is a character device, not a regular file"),
    ("oar_conf", {"settings": {"DB_BASE_PASSWD_RO": "F4ult-s3cret"}, "bogus": 1}, "Unsupported parameters for"),
    ("oar_conf", {"settings": {"DB_BASE_PASSWD=F4ult-s3cret": "x"}}, "a key naming a secret (not shown): not a valid name"),
    ("oar_queue", {"name": "de fault", "scheduler": GANTT}, "queue name 'de fault' is not allowed"),
    ("oar_queue", {"name": "default", "scheduler": "../../bin/sh"}, "scheduler '../../bin/sh' is not allowed"),
    ("oar_queue", {"name": "default", "scheduler": "no_such_scheduler"}, "no_such_scheduler is not an executable"),
    ("oar_queue", {"name": "no_such_queue", "scheduler": GANTT}, "queue no_such_queue does not exist"),
    ("oar_queue", {"name": "default", "priority": "2.5"}, "priority"),
    ("oar_queue", {"name": "default", "enabled": "sometimes"}, "enabled"),
    ("oar_queue_info", {"timeout": -3}, "timeout must be at least 1 second"),
    ("oar_db_columns", {"table": "queues--"}, "table 'queues--' is not allowed"),
    ("oar_db_columns", {"table": "jobs", "ensure": [{"name": "karma", "type": "text; DROP TABLE jobs"}]},
     "value of type must be one of"),
    ("oar_db_columns", {"table": "jobs", "ensure": [{"name": "last karma", "type": "real"}]}, "column 'last karma'"),
    ("oar_preflight", {"keys": "DB_BASE_PASSWD"}, "keys"),
    ("oar_sched_check", {"log": "/var/log/no-such.log", "wait": False}, "/var/log/no-such.log"),
    ("oar_sched_check", {"log": "/var/log/oar.log", "timeout": 0}, "timeout must be at least 1 second"),
]

ROLES = [
    ("kamelot", {"oar3_kamelot_hierarchy_labels": "resource_id,rack"}, "rack is not a column of the resources table"),
    ("kamelot", {"oar3_kamelot_hierarchy_labels": ""}, "oar3_kamelot_hierarchy_labels"),
    ("kamelot", {"oar3_kamelot_hierarchy_labels": "resource_id, cpu"}, "must be column names separated by commas"),
    ("kamelot", {"oar3_kamelot_queues": [{"name": "no_such_queue"}]}, "no queue no_such_queue on this server"),
    ("kamelot", {"oar3_kamelot_queues": "default"}, "oar3_kamelot_queues"),
    ("kamelot", {"oar3_kamelot_queues": [{"priority": 3}]}, "name"),
    ("kamelot", {"oar3_kamelot_queues": [{"name": "default", "priority": "high"}]}, "argument 'priority' is of type"),
    ("kamelot", {"oar3_kamelot_state": "enabled"}, "oar3_kamelot_state must be one of: present, absent"),
    ("kamelot", {"oar3_kamelot_timeout": "a minute"}, "oar3_kamelot_timeout"),
    ("kamelot", {"oar3_kamelot_smoke_user": ""}, "oar3_kamelot_smoke_user is empty"),
    ("kao", {"oar3_kao_state": "on"}, "oar3_kao_state must be one of: present, absent"),
    ("kao", {"oar3_kao_smoke_job": True, "oar3_kao_smoke_user": ""}, "oar3_kao_smoke_user is empty"),
    ("kao", {"oar3_kao_smoke_job": "perhaps"}, "oar3_kao_smoke_job"),
    ("kao", {"oar3_kao_timeout": "soon"}, "oar3_kao_timeout"),
    ("dependencies", {"oar3_version": "latest"}, "oar3_version"),
    ("dependencies", {"oar3_version": "2.5.9"}, "oar3_version"),
    ("debs", {"oar3_debs_method": "rpm"}, "oar3_debs_method must be one of: source, prebuilt, got: rpm"),
    ("debs", {"oar3_debs_method": "prebuilt", "oar3_debs_prebuilt": [{"src": "/no/such/python3-oar.deb"}]},
     "/no/such/python3-oar.deb is not a file on the controller"),
    ("debs", {"oar3_procset_sha256": "not-a-checksum"}, "oar3_procset_sha256"),
]


@pytest.mark.parametrize("module, args, message", MODULES, ids=["%s-%d" % (m[0], i) for i, m in enumerate(MODULES)])
def test_bad_module_input_is_refused_and_changes_nothing(host, module, args, message):
    before = server_state(host)
    with pytest.raises(ModuleFailed) as refused:
        run_module(host, module, diff=True, verbosity=3, **args)
    assert message in refused.value.result["msg"], refused.value.result["msg"]
    assert server_state(host) == before


@pytest.mark.parametrize("name, extra, message", ROLES, ids=["%s-%d" % (r[0], i) for i, r in enumerate(ROLES)])
def test_bad_role_input_is_refused_and_changes_nothing(host, name, extra, message):
    before = server_state(host)
    run = role(host, name, limit=host.backend.host, **extra)
    assert run.rc != 0
    assert message in failure(run), failure(run)
    assert server_state(host) == before


def test_bad_selection_in_the_migration_is_refused_and_changes_nothing(host):
    before = server_state(host)
    run = run_playbook(host, "oar.oar3.migrate", extra_vars={"oar3_kamelot_enabled": "maybe"}, diff=True, verbosity=3)
    assert run.rc != 0
    assert "oar3_kamelot_enabled of oar2-deb13 is 'maybe': use true or false." in failure(run), failure(run)
    assert server_state(host) == before
