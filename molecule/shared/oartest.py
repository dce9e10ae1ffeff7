"""Helpers for the testinfra verifiers: read OAR2's state straight from its
database and tools, so the modules under test are never their own witness."""

import json
import os
import re
import subprocess
import tempfile
import time


def psql(host, sql):
    """Run SQL as postgres on the OAR database; return the unaligned rows."""
    return host.check_output("runuser -u postgres -- psql -XAtq -d oar -v ON_ERROR_STOP=1 -c %s", sql)


def queue_table(host):
    """The queues table, sorted: [(name, priority, scheduler, state)]."""
    rows = psql(host, "SELECT queue_name, priority, scheduler_policy, state FROM queues ORDER BY queue_name")
    return [tuple(r.split("|")) for r in rows.splitlines()]


class ModuleFailed(Exception):
    """The module failed; .result is its result."""

    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def run_json_callback(cmd):
    """Run an ansible command with the json callback; return (its report, the
    completed process). Raises AssertionError when there is no report."""
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    try:
        # With -v, ansible's own lines come first on stdout; the JSON starts at a lone "{".
        return json.loads(out.stdout[re.search(r"^\{$", out.stdout, re.M).start():]), out
    except (AttributeError, ValueError):
        raise AssertionError("no report from %s: %s %s" % (cmd, out.stdout, out.stderr))


def run_module(host, module, check=False, diff=False, verbosity=0, **args):
    """Run a module of the collection with `ansible` on the controller; return its
    result, raise ModuleFailed on failure. (testinfra's host.ansible cannot tell
    a failure from a success with ansible-core 2.19, and takes no quoted values.)
    The arguments travel as extra vars, so any value reaches the module as is."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as extra:
        json.dump({"oartest_args": args}, extra)
        extra.flush()
        cmd = ["ansible", host.backend.host, "-i", host.backend.ansible_inventory, "-m", "oar.oar3." + module,
               "-a", " ".join("%s={{ oartest_args.%s }}" % (k, k) for k in args), "-e", "@" + extra.name]
        cmd += ["--check"] * check + ["--diff"] * diff + ["-v"] * verbosity
        report, out = run_json_callback(cmd)
    try:
        result = report["plays"][0]["tasks"][0]["hosts"][host.backend.host]
    except (KeyError, IndexError):
        raise AssertionError("no result from %s: %s %s" % (cmd, out.stdout, out.stderr))
    result["_output"] = out.stdout + out.stderr  # all a user would see
    assert_no_db_password(host, result["_output"])
    if result.get("failed"):
        raise ModuleFailed(result)
    return result


def conf_state(host, path="/etc/oar/oar.conf"):
    """What must not move when nothing is written: content hash, mtime, owner, mode."""
    return host.check_output("stat -c '%%Y %%U:%%G %%a' %s && md5sum %s", path, path)


def db_passwords(host, conf="/etc/oar/oar.conf"):
    """The DB passwords of oar.conf (random per test server), which no output may show."""
    # The first setting: a test may append another one for a while.
    secrets = [host.check_output("sed -n 's/^%s=\"\\(.*\\)\"$/\\1/p' %s | head -n 1", k, conf)
               for k in ("DB_BASE_PASSWD", "DB_BASE_PASSWD_RO")]
    assert all(len(s) == 20 for s in secrets), secrets
    return secrets


_passwords = {}


def assert_no_db_password(host, output):
    """No DB password of any OAR2 server of the scenario is in `output`. Every
    run of ansible and ansible-playbook made by the tests is checked with it."""
    inventory = host.backend.ansible_inventory
    if inventory not in _passwords:
        from testinfra.utils.ansible_runner import AnsibleRunner
        _passwords[inventory] = [secret for name in AnsibleRunner(inventory).get_hosts("oar2_servers")
                                 for secret in db_passwords(other_host(host, name))]
    for secret in _passwords[inventory]:
        assert secret not in output, "a DB password of oar.conf is in the output"


QUEUES_SQL = "SELECT queue_name, priority, scheduler_policy, state FROM queues ORDER BY queue_name"
COLUMNS_SQL = "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' ORDER BY 1"
STATE = "; ".join([
    "set -e", "stat -c '%Y %U:%G %a' /etc/oar/oar.conf", "sha256sum /etc/oar/oar.conf",
    "runuser -u postgres -- psql -XAtq -d oar -c \"%s\"" % QUEUES_SQL,
    "ls -l --time-style=full-iso /usr/lib/oar/schedulers", "{ ls /etc/ansible/facts.d || true; }",
    "dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\\n'",
    "runuser -u postgres -- psql -XAtq -d oar -c \"%s\"" % COLUMNS_SQL,
    "pgrep -o -f '^/usr/bin/perl /usr/lib/oar/Almighty'"])


def server_state(server):
    """What a refused run or a check-mode run must leave exactly as it is:
    oar.conf (content, owner, mode, mtime), the queues, OAR2's schedulers,
    the roles' records, the packages, jobs' columns, Almighty's process."""
    return server.check_output("bash -c %s", STATE)


def bash_reads(host, key, conf="/etc/oar/oar.conf"):
    """KEY's value as a bash script sourcing oar.conf reads it."""
    return host.check_output("bash -c '. %s; printf %%s \"$%s\"'" % (conf, key))


def perl_reads(host, key, conf="/etc/oar/oar.conf"):
    """KEY's value as OAR2's own OAR::Conf reads it."""
    return host.check_output(
        "perl -MOAR::Conf=init_conf,get_conf -e 'init_conf(\"%s\"); print get_conf(\"%s\")'" % (conf, key))


def submit_noop(host, resources, queue="default"):
    """Submit a noop job as the test user; noop jobs never contact the (fake) nodes."""
    out = host.check_output(
        "su - oaruser -c 'oarsub -q %s -t noop -l %s,walltime=0:10:00 true'" % (queue, resources))
    ids = [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("OAR_JOB_ID=")]
    assert len(ids) == 1, out
    return ids[0]


def job_info(host, job_id):
    """The job as `oarstat -J -f` shows it."""
    return json.loads(host.check_output("oarstat -J -f -j %s", job_id))[job_id]


def job_state(host, job_id):
    return job_info(host, job_id)["state"]


def wait_for(what, condition, timeout=60, interval=1):
    """Poll condition() until it returns a true value; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out after %s s waiting for %s" % (timeout, what)
        time.sleep(interval)


class PlayRun:
    """What one ansible-playbook run did: rc, per-host recap, failures, output."""

    def __init__(self, rc, report, output):
        self.rc = rc
        self.output = output  # all a user would see
        self.stats = report.get("stats", {})
        self.tasks = [task for play in report.get("plays", []) for task in play["tasks"]]

    def changed(self, host=None):
        return sum(s["changed"] for h, s in self.stats.items() if host in (None, h))

    def changed_tasks(self):
        """Names of the tasks that changed something on some host."""
        return {t["task"]["name"] for t in self.tasks if any(r.get("changed") for r in t["hosts"].values())}

    def failures(self):
        """{host: message} of the failed tasks (of the failed items, for loops)."""
        def message(result):
            items = [message(i) for i in result.get("results", []) if i.get("failed")]
            tail = result.get("stderr_lines", [])[-5:]  # what a failed command said
            return "\n".join(items) or "\n".join([result.get("msg", "")] + tail)
        return {h: message(r) for t in self.tasks for h, r in t["hosts"].items() if r.get("failed")}

    def ran(self, name_part):
        """Hosts on which a task whose name contains name_part ran (was not skipped)."""
        return {h for t in self.tasks if name_part in t["task"]["name"]
                for h, r in t["hosts"].items() if not r.get("skipped")}


def assert_failed_on(run, hosts, *messages):
    """`run` failed on each of `hosts` and on no other, each failure saying every one of `messages`."""
    failures = run.failures()
    assert run.rc != 0 and set(failures) == set(hosts), failures
    for name, failure in failures.items():
        for message in messages:
            assert message in failure, (name, failure)


def run_play(host, play, extra_vars=None, limit=None, check=False, diff=False, verbosity=0):
    """Run a playbook given as Python data (a list of plays); return a PlayRun."""
    with tempfile.TemporaryDirectory() as tmp:
        book = os.path.join(tmp, "play.yml")
        with open(book, "w") as f:
            json.dump(play, f)  # JSON is YAML
        return run_playbook(host, book, extra_vars, limit, check, diff, verbosity)


def run_playbook(host, book, extra_vars=None, limit=None, check=False, diff=False, verbosity=0):
    """Run a playbook file or a collection playbook (oar.oar3.migrate) against
    the scenario's inventory with the json callback; return a PlayRun."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = os.path.join(tmp, "extra.json")
        with open(extra, "w") as f:
            json.dump(extra_vars or {}, f)
        cmd = ["ansible-playbook", "-i", host.backend.ansible_inventory, book, "-e", "@" + extra]
        cmd += ["--limit", limit] * bool(limit) + ["--check"] * check + ["--diff"] * diff + ["-v"] * verbosity
        report, out = run_json_callback(cmd)
    assert_no_db_password(host, out.stdout + out.stderr)
    return PlayRun(out.returncode, report, out.stdout + out.stderr)


def role_play(role, hosts="oar2_servers", **role_vars):
    """A one-play playbook applying a role of the collection."""
    return [{"name": "apply " + role, "hosts": hosts, "roles": [dict(role="oar.oar3." + role, **role_vars)]}]


def installed_version(host, package):
    """The installed version of a Debian package, or None."""
    out = host.run("dpkg-query --show --showformat='${db:Status-Status} ${Version}' %s", package)
    status, _, version = out.stdout.partition(" ")
    return version if out.rc == 0 and status == "installed" else None


def other_host(host, name):
    """Another host of the scenario's inventory, reached like `host`."""
    import testinfra
    return testinfra.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


def pytest_collection_modifyitems(config, items):
    """Honour a test module's `testinfra_hosts`: molecule passes --hosts=all,
    which testinfra lets override it. (Imported by each scenario's conftest.)"""
    keep, drop = [], []
    for item in items:
        wanted = getattr(item.module, "testinfra_hosts", None)
        params = getattr(item, "callspec", None) and item.callspec.params
        host = params.get("_testinfra_host") if params else None
        (drop if wanted and host is not None and host.backend.host not in wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
