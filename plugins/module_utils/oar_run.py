# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a helper program with a JSON request and a hard timeout.

OAR2's tools wait for the database forever when PostgreSQL is down, so every
external call goes through here: the whole process group is killed at the
deadline and the caller gets a clear error instead of a hung play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import subprocess


class RunError(Exception):
    """The program failed, timed out or printed something that is not JSON."""

    def __init__(self, message, timed_out=False):
        super(RunError, self).__init__(message)
        self.timed_out = timed_out


def run_json(argv, payload, timeout, what, env=None):
    """Run argv with payload as JSON on stdin (env: variables to add); return
    its stdout parsed as JSON."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env=dict(os.environ, **(env or {})))
    try:
        out, err = proc.communicate(json.dumps(payload).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RunError("%s timed out after %s s: OAR2 waits for its database forever when it cannot reach it; "
                       "is PostgreSQL running and are the DB settings of oar.conf right?" % (what, timeout),
                       timed_out=True)
    if proc.returncode != 0:
        raise RunError("%s failed (exit %d): %s" % (what, proc.returncode,
                                                    err.decode(errors="replace").strip() or "no message"))
    try:
        return json.loads(out.decode())
    except ValueError:
        raise RunError("%s printed no JSON: %s" % (what, out.decode(errors="replace")[:500]))
