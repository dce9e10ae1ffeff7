"""OAR3 stand-in kamelot (test fixture): fails where the real kamelot fails on
an OAR2 server, then hands the queue to OAR2's gantt scheduler."""
import json
import os
import sys
import time
import traceback

# What the real kamelot needs at import time.
import procset  # noqa: F401
import psycopg2
import sqlalchemy  # noqa: F401

from oar.lib import compat  # noqa: F401
from oar.lib.conf import load

OAR2_SCHEDULER = "/usr/lib/oar/schedulers/oar_sched_gantt_with_timesharing"


def log_line(conf, func, line, message):
    """A line of OAR3's LOG_FORMAT, as the real kamelot writes to OAR's log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S,000")
    with open(conf.get("LOG_FILE", "/var/log/oar.log"), "a") as log:
        log.write("[    INFO] [%s] [oar.kamelot::%s:%d]: %s\n" % (stamp, func, line, message))


def cycle_lines(conf, func, db, queues):
    """What the real kamelot logs of a cycle: its waiting jobs, then that it
    saved their assignment (here OAR2's scheduler then places them)."""
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM jobs WHERE state = 'Waiting' AND queue_name = ANY(%s)", (queues,))
        waiting = cur.fetchone()[0]
    if waiting:
        log_line(conf, func, 135, "nb_waiting_jobs:%d" % waiting)
        log_line(conf, func, 209, "save assignement")
    else:
        log_line(conf, func, 213, "no waiting jobs")


def connect(conf):
    return psycopg2.connect(host=conf.get("DB_HOSTNAME", "localhost"), port=conf.get("DB_PORT", "5432"),
                            dbname=conf.get("DB_BASE_NAME", "oar"), user=conf.get("DB_BASE_LOGIN", "oar"),
                            password=conf.get("DB_BASE_PASSWD", ""))


def check(conf):
    """What the real kamelot needs at run time, checked the way it fails."""
    db = connect(conf)
    with db, db.cursor() as cur:
        # OAR3 reads this column, which OAR2's schema lacks (UndefinedColumn).
        cur.execute("SELECT last_karma FROM jobs LIMIT 0")
    if conf.get("QUOTAS") == "yes":
        # OAR3 loads its quota rules on every round.
        with open(conf.get("QUOTAS_CONF_FILE", "/etc/oar/quotas_conf.json")) as f:
            json.load(f)
    return db


def main():
    conf = load()
    try:
        db = check(conf)
        # OAR2's metascheduler runs: kamelot QUEUE NOW "SQLTIME".
        queue = sys.argv[1] if len(sys.argv) > 1 else "default"
        log_line(conf, "schedule_cycle", 122, "Begin scheduling....now: %s, queue(s): %s"
                 % (sys.argv[2] if len(sys.argv) > 2 else int(time.time()), queue))
        cycle_lines(conf, "schedule_cycle", db, [queue])
        db.close()
    except Exception:
        # The real kamelot's traceback lands in OAR's log; it then exits 1,
        # which OAR2's metascheduler counts as success.
        with open(conf.get("LOG_FILE", "/var/log/oar.log"), "a") as log:
            log.write("[kamelot] " + traceback.format_exc())
        sys.exit(1)
    os.execv(OAR2_SCHEDULER, [OAR2_SCHEDULER] + sys.argv[1:])
