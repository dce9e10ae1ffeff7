"""OAR3 stand-in kamelot (test fixture): hands the queue to OAR2's gantt scheduler."""
import os
import sys

# What the real kamelot needs at import time.
import procset  # noqa: F401
import psycopg2  # noqa: F401
import sqlalchemy  # noqa: F401

from oar.lib import compat  # noqa: F401

OAR2_SCHEDULER = "/usr/lib/oar/schedulers/oar_sched_gantt_with_timesharing"


def main():
    os.execv(OAR2_SCHEDULER, [OAR2_SCHEDULER] + sys.argv[1:])
