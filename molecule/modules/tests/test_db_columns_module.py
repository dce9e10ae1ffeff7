"""oar_db_columns against the real OAR2 databases (PostgreSQL)."""

import pytest
from oartest import ModuleFailed, job_state, psql, run_module, submit_noop, wait_for

LAST_KARMA = [{"name": "last_karma", "type": "real"}]


def column_type(host, table, column):
    return psql(host, "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                      "AND table_name = '%s' AND column_name = '%s'" % (table, column))


def test_lists_the_resource_properties(host):
    result = run_module(host, "oar_db_columns", table="resources")
    assert result["changed"] is False and result["added"] == []
    assert result["columns"][0] == "resource_id"
    assert {"network_address", "cpu", "core"} <= set(result["columns"])
    assert result["columns"] == psql(host, "SELECT column_name FROM information_schema.columns WHERE "
                                           "table_schema = current_schema() AND table_name = 'resources' "
                                           "ORDER BY ordinal_position").splitlines()


def test_adds_last_karma_once_and_oar2_keeps_scheduling(host):
    assert column_type(host, "jobs", "last_karma") == ""  # OAR2's schema has no such column
    check = run_module(host, "oar_db_columns", check=True, diff=True, table="jobs", ensure=LAST_KARMA)
    assert check["changed"] is True and check["added"] == ["last_karma"]
    assert column_type(host, "jobs", "last_karma") == ""
    result = run_module(host, "oar_db_columns", table="jobs", ensure=LAST_KARMA)
    assert result["changed"] is True and result["columns"][-1] == "last_karma"
    assert column_type(host, "jobs", "last_karma") == "real"
    again = run_module(host, "oar_db_columns", table="jobs", ensure=LAST_KARMA)
    assert again["changed"] is False and again["added"] == []
    job = submit_noop(host, "resource_id=1")
    try:
        wait_for("job %s to be scheduled" % job, lambda: job_state(host, job) in ("Running", "Terminated"), timeout=60)
    finally:
        # The next tests count the jobs of the default queue.
        host.run("oardel %s", job)
        wait_for("job %s to end" % job, lambda: job_state(host, job) in ("Terminated", "Error"), timeout=60)


@pytest.mark.parametrize("args, message", [
    ({"table": "jobs; DROP TABLE jobs"}, "table 'jobs; DROP TABLE jobs' is not allowed"),
    ({"table": "jobs", "ensure": [{"name": "x\"; DROP TABLE jobs; --", "type": "real"}]}, "column 'x\"; DROP"),
    ({"table": "jobs", "ensure": [{"name": "x", "type": "real; DROP TABLE jobs"}]}, "value of type must be one of"),
    ({"table": "no_such_table"}, "the OAR database has no table no_such_table"),
    ({"table": "jobs", "timeout": 0}, "timeout must be at least 1 second"),
])
def test_refuses_bad_input_and_changes_nothing(host, args, message):
    before = psql(host, "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() ORDER BY 1, 2")
    with pytest.raises(ModuleFailed) as failed:
        run_module(host, "oar_db_columns", **args)
    assert message in failed.value.result["msg"]
    assert psql(host, "SELECT table_name, column_name FROM information_schema.columns "
                      "WHERE table_schema = current_schema() ORDER BY 1, 2") == before


def installed(host, package):
    shown = host.run("dpkg-query --show --showformat='${db:Status-Status} ${Version}' %s", package).stdout.split()
    return shown[1] if len(shown) == 2 and shown[0] == "installed" else None


def test_preflight_names_the_link_column_and_leftovers_a_switch_would_see_to(host):
    # A copy of oar.conf in a directory of its own: the leftovers are looked
    # for beside `path`, the database is read through OAR2's own oar.conf.
    host.check_output("rm -rf /root/pf && mkdir /root/pf && cp -p /etc/oar/oar.conf /root/pf/oar.conf")
    link = {"src": "/usr/lib/oar/kamelot", "dest": "/root/pf/kamelot"}
    # (run_module cannot pass an option named `keys`: settings return the value too.)
    first = run_module(host, "oar_preflight", check=False, path="/root/pf/oar.conf", settings={"LOG_FILE": "/x"})
    assert first["changes"] == ["LOG_FILE: %s -> /x" % first["current"]["LOG_FILE"]]
    in_place_setting = {"LOG_FILE": first["current"]["LOG_FILE"]}  # the value it has: no change

    def preflight(**args):
        return run_module(host, "oar_preflight", check=False, path="/root/pf/oar.conf", settings=in_place_setting,
                          links=[link], packages=["oar-server", "python3-oar", "oar3-no-such-package"], **args)

    listing = host.check_output("ls -la --time-style=full-iso /root/pf")
    missing = preflight(columns=[{"table": "jobs", "name": "job_id"}, {"table": "jobs", "name": "oar3_no_such"}])
    assert missing["changes"] == ["link /root/pf/kamelot -> /usr/lib/oar/kamelot (now: missing)",
                                  "column jobs.oar3_no_such: missing -> added"]
    assert missing["in_place"] is False and missing["leftovers"] == []
    assert missing["packages"] == {"oar-server": installed(host, "oar-server"),
                                   "python3-oar": installed(host, "python3-oar"), "oar3-no-such-package": None}
    assert missing["packages"]["oar-server"]
    assert host.check_output("ls -la --time-style=full-iso /root/pf") == listing  # read only
    assert column_type(host, "jobs", "oar3_no_such") == ""

    host.check_output("ln -s /opt/elsewhere /root/pf/kamelot")
    wrong = preflight(columns=[{"table": "jobs", "name": "job_id"}])
    assert wrong["changes"] == ["link /root/pf/kamelot -> /usr/lib/oar/kamelot (now: /opt/elsewhere)"]

    host.check_output("ln -sfn /usr/lib/oar/kamelot /root/pf/kamelot")
    host.check_output("install -m 0600 /dev/null /root/pf/.oar.conf.oar3-tmp-ab12cd34")
    left = preflight(columns=[{"table": "jobs", "name": "job_id"}])
    assert left["changes"] == [] and left["leftovers"] == [".oar.conf.oar3-tmp-ab12cd34"]
    assert left["in_place"] is False  # the next oar_conf write removes it: a re-run must not skip that

    host.check_output("rm /root/pf/.oar.conf.oar3-tmp-ab12cd34")
    done = preflight(columns=[{"table": "jobs", "name": "job_id"}])
    assert done["changes"] == [] and done["leftovers"] == [] and done["in_place"] is True

    with pytest.raises(ModuleFailed) as failed:
        preflight(columns=[{"table": "jobs; DROP TABLE jobs", "name": "x"}])
    assert "columns: table 'jobs; DROP TABLE jobs' is not allowed" in failed.value.result["msg"]
    assert "Nothing was changed" in failed.value.result["msg"]
    host.check_output("rm -rf /root/pf")
