"""The test image is a working OAR2 server (checked on each platform)."""

from oartest import job_info, submit_noop, wait_for

STOCK_QUEUES = {"admin", "default", "besteffort"}


def parse_oarnotify_list(text):
    """Queues from `oarnotify -l`: a name line, then tab-indented `key = value` lines."""
    queues, current = {}, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            current = queues.setdefault(line.strip(), {})
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
    return queues


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_almighty_runs(host):
    assert host.service("oar-server").is_running
    assert host.run("pgrep -f /usr/lib/oar/Almighty").rc == 0


def test_stock_queues_are_active(host):
    out = host.check_output("timeout 30 oarnotify -l")
    queues = parse_oarnotify_list(out)
    assert STOCK_QUEUES <= set(queues), out
    for name in STOCK_QUEUES:
        assert queues[name]["state"] == "Active", (name, queues[name])


def test_db_passwords_are_set(host):
    conf = host.file("/etc/oar/oar.conf")
    assert (conf.user, conf.group, conf.mode) == ("oar", "root", 0o600)
    assert 'DB_BASE_PASSWD=""' not in conf.content_string


def test_user_job_gets_resources(host):
    job_id = submit_noop(host, "nodes=1")

    def scheduled():
        job = job_info(host, job_id)
        return job if job.get("assigned_resources") else None

    try:
        job = wait_for("job %s to get resources" % job_id, scheduled, timeout=30)
        assert job["state"] in ("toLaunch", "Launching", "Running", "Terminated"), job["state"]
    finally:
        host.run("oardel %s", job_id)
