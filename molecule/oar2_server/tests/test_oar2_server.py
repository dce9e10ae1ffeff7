"""The test image is a working OAR2 server (checked on each platform)."""

import json
import time

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
    sub = host.run("su - oaruser -c 'oarsub -t noop -l nodes=1,walltime=0:10:00 true'")
    assert sub.rc == 0, sub.stderr
    job_ids = [line.split("=", 1)[1] for line in sub.stdout.splitlines() if line.startswith("OAR_JOB_ID=")]
    assert len(job_ids) == 1, sub.stdout
    job_id = job_ids[0]
    try:
        deadline = time.monotonic() + 30
        while True:
            job = json.loads(host.check_output("oarstat -J -f -j %s", job_id))[job_id]
            if job.get("assigned_resources"):
                break
            assert time.monotonic() < deadline, f"job {job_id} got no resources in 30 s: {job.get('state')}"
            time.sleep(1)
        assert job["state"] in ("toLaunch", "Launching", "Running", "Terminated"), job["state"]
    finally:
        host.run("oardel %s", job_id)
