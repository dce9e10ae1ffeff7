"""OAR3 stand-in kamelot (test fixture): fails where the real kamelot fails on
an OAR2 server, then hands the queue to OAR2's gantt scheduler."""
import json
import os
import sys
import traceback

# What the real kamelot needs at import time.
import procset  # noqa: F401
import psycopg2
import sqlalchemy  # noqa: F401

from oar.lib import compat  # noqa: F401
from oar.lib.conf import load

OAR2_SCHEDULER = "/usr/lib/oar/schedulers/oar_sched_gantt_with_timesharing"


def check(conf):
    """What the real kamelot needs at run time, checked the way it fails."""
    db = psycopg2.connect(host=conf.get("DB_HOSTNAME", "localhost"), port=conf.get("DB_PORT", "5432"),
                          dbname=conf.get("DB_BASE_NAME", "oar"), user=conf.get("DB_BASE_LOGIN", "oar"),
                          password=conf.get("DB_BASE_PASSWD", ""))
    with db, db.cursor() as cur:
        # OAR3 reads this column, which OAR2's schema lacks (UndefinedColumn).
        cur.execute("SELECT last_karma FROM jobs LIMIT 0")
    db.close()
    if conf.get("QUOTAS") == "yes":
        # OAR3 loads its quota rules on every round.
        with open(conf.get("QUOTAS_CONF_FILE", "/etc/oar/quotas_conf.json")) as f:
            json.load(f)


def main():
    conf = load()
    try:
        check(conf)
    except Exception:
        # The real kamelot's traceback lands in OAR's log; it then exits 1,
        # which OAR2's metascheduler counts as success.
        with open(conf.get("LOG_FILE", "/var/log/oar.log"), "a") as log:
            log.write("[kamelot] " + traceback.format_exc())
        sys.exit(1)
    os.execv(OAR2_SCHEDULER, [OAR2_SCHEDULER] + sys.argv[1:])
