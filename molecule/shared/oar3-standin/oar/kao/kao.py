"""OAR3 stand-in kao (test fixture): hands the round to OAR2's metascheduler."""
import os
import sys
import traceback

import procset  # noqa: F401
import sqlalchemy  # noqa: F401
import zmq  # noqa: F401

from oar.kao.kamelot import connect, cycle_lines
from oar.lib import compat  # noqa: F401
from oar.lib.conf import load

OAR2_METASCHEDULER = "/usr/lib/oar/oar_meta_sched"


def main():
    # The real kao schedules every queue itself (its internal cycle) and logs it.
    conf = load()
    try:
        db = connect(conf)
        with db.cursor() as cur:
            cur.execute("SELECT queue_name FROM queues WHERE state = 'Active'")
            queues = [row[0] for row in cur.fetchall()]
        cycle_lines(conf, "internal_schedule_cycle", db, queues)
        db.close()
    except Exception:
        with open(conf.get("LOG_FILE", "/var/log/oar.log"), "a") as log:
            log.write("[kao] " + traceback.format_exc())
        sys.exit(1)
    os.execv(OAR2_METASCHEDULER, [OAR2_METASCHEDULER] + sys.argv[1:])
