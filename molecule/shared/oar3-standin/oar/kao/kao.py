"""OAR3 stand-in kao (test fixture): hands the round to OAR2's metascheduler."""
import os
import sys

import procset  # noqa: F401
import sqlalchemy  # noqa: F401
import zmq  # noqa: F401

from oar.lib import compat  # noqa: F401

OAR2_METASCHEDULER = "/usr/lib/oar/oar_meta_sched"


def main():
    os.execv(OAR2_METASCHEDULER, [OAR2_METASCHEDULER] + sys.argv[1:])
