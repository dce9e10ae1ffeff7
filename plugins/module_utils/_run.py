# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection's modules run a program: under one deadline
for the whole module call, through AnsibleModule.run_command.

OAR2's tools wait for the database forever when PostgreSQL is down, so every
program runs under coreutils' ``timeout``, which makes itself a process group
leader and kills the whole group (forked children included) at the deadline.
``run_command`` stops reading once the program has exited and its pipes stay
quiet, so a child that keeps stdout open (OAR2's mail notifier) cannot turn a
finished call into a hang. Perl's environment hooks are dropped so that a
PERL5OPT or PERL5LIB inherited from the caller cannot change what runs as root.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

# Inherited by sudo/become from the caller's environment; each can make perl
# load code of its own.
UNSAFE_ENV = ("PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "PERL_UNICODE", "PYTHONPATH", "PYTHONSTARTUP")
# timeout(1): 124 on expiry, 137 when the KILL after the grace period was needed.
TIMED_OUT = (124, 137)
GRACE = 2


class RunError(Exception):
    """The program failed, timed out or printed something that is not JSON."""

    def __init__(self, message, timed_out=False, rc=None, stderr=""):
        super(RunError, self).__init__(message)
        self.timed_out = timed_out
        self.rc = rc
        self.stderr = stderr


class Runner:
    """Runs programs for one module call; every call shares one deadline.

    run_command is AnsibleModule.run_command (or a stand-in with its
    signature in unit tests); clock returns monotonic seconds."""

    def __init__(self, run_command, timeout, clock=time.monotonic):
        self._run_command = run_command
        self._clock = clock
        self.timeout = timeout
        self.deadline = clock() + timeout

    def remaining(self):
        return self.deadline - self._clock()

    def run(self, argv, what, data=None, env=None, limit=None):
        """Run argv (a list); return (rc, stdout, stderr). limit: at most this
        many seconds of the deadline. Raises RunError when the deadline is
        reached."""
        left = self.remaining()
        if limit is not None:
            left = min(left, limit)
        if left <= 0:
            raise RunError("%s was not started: the module's %s s were used up" % (what, self.timeout),
                           timed_out=True)
        cmd = ["env"]
        for name in UNSAFE_ENV:
            cmd += ["-u", name]
        cmd += ["timeout", "-k", str(GRACE), "%.3f" % left] + list(argv)
        rc, out, err = self._run_command(cmd, data=data, binary_data=data is not None, environ_update=env or {},
                                         expand_user_and_vars=False)
        if rc in TIMED_OUT:
            raise RunError("%s timed out after %.0f s" % (what, max(left, 1)), timed_out=True, rc=rc, stderr=err)
        return rc, out, err

    def run_json(self, argv, payload, what, env=None):
        """Run argv with payload as JSON on stdin; return its stdout parsed
        as JSON. Raises RunError on failure, timeout or non-JSON output."""
        try:
            rc, out, err = self.run(argv, what, data=json.dumps(payload), env=env)
        except RunError as e:
            if e.timed_out:
                raise RunError("%s: OAR's database did not answer in time (PostgreSQL hung or overloaded, a lock "
                               "held by another transaction, or DB_HOSTNAME and DB_PORT of oar.conf naming another "
                               "service?)" % e, timed_out=True)
            raise
        if rc != 0:
            raise RunError("%s failed (exit %d): %s" % (what, rc, err.strip() or "no message"), rc=rc, stderr=err)
        try:
            return json.loads(out)
        except ValueError:
            raise RunError("%s printed no JSON: %s" % (what, out[:500]), rc=rc)
