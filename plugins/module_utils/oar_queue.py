# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OAR2 queues: validation and change planning (pure), the request that
OAR2's own Perl library carries out against the ``queues`` table, and
execute(), which runs it.

Why not ``oarnotify``: it pastes names into SQL unquoted, runs its operations
in a fixed order whatever the command line says, exits 0 when nothing
happened, lists queues in random order and wakes Almighty on every call,
even ``-l``. OAR2 has no "modify queue", so switching a scheduler with it
means remove + add: a window where the queue does not exist (``oarsub -q``
is refused) and, on OAR2 2.6.1, a queue re-created ``notActive``.

Instead the modules run a short Perl program that uses OAR2's own
``OAR::IO::connect``/``connect_ro`` (so OAR2's own reading of oar.conf and
its DB credentials, which never pass through this code) and changes the row
in place with bound parameters, inside one transaction that is read back
before it commits: a failure at any point leaves the queue as it was.
Then it wakes Almighty the way ``oarnotify`` does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oar.oar3.plugins.module_utils.oar_run import run_json

NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
FIELDS = ("priority", "scheduler", "enabled")


class QueueError(Exception):
    """A request that is refused before anything runs."""


def check_name(value, what):
    """Queue and scheduler names reach SQL and a path: allow a safe alphabet only."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise QueueError(
            "%s %r is not allowed: use 1 to 100 characters among letters, digits, '_' and '-'." % (what, value)
        )
    return value


def check_priority(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueueError("priority %r is not an integer." % (value,))
    if not -(2 ** 31) <= value < 2 ** 31:
        raise QueueError("priority %r is out of range for the queues table." % (value,))
    return value


def queue_from_row(row):
    """A row of the queues table as this collection shows a queue."""
    return {
        "name": row["queue_name"],
        "priority": int(row["priority"]),
        "scheduler": row["scheduler_policy"],
        "enabled": row["state"] == "Active",
    }


def sort_queues(queues):
    """Highest priority first (the order the metascheduler runs them), then name."""
    return sorted(queues, key=lambda q: (-q["priority"], q["name"]))


def validate(name, priority=None, scheduler=None):
    """Refuse bad input before anything runs (None: parameter left out)."""
    check_name(name, "queue name")
    if scheduler is not None:
        check_name(scheduler, "scheduler")
    if priority is not None:
        check_priority(priority)


def plan(current, name, state="present", priority=None, scheduler=None, enabled=None):
    """What to do with queue ``name``, given ``current`` (the queue or None).

    Returns ``(action, wanted)``: action is None (nothing to do), "create",
    "update" or "delete"; wanted is the queue as it must read afterwards (None
    when it must not exist). Parameters left as None keep their current value.
    """
    validate(name, priority, scheduler)
    if state == "absent":
        return ("delete" if current else None), None
    if state != "present":
        raise QueueError("state %r is not one of present, absent." % (state,))
    if current is None:
        missing = [p for p, v in (("priority", priority), ("scheduler", scheduler)) if v is None]
        if missing:
            raise QueueError("queue %s does not exist: creating it needs %s." % (name, " and ".join(missing)))
        return "create", {"name": name, "priority": priority, "scheduler": scheduler,
                          "enabled": True if enabled is None else enabled}
    wanted = dict(current)
    for field, value in (("priority", priority), ("scheduler", scheduler), ("enabled", enabled)):
        if value is not None:
            wanted[field] = value
    return ("update" if wanted != current else None), wanted


def render(queue):
    """A queue as diff text, one field a line."""
    if queue is None:
        return ""
    return "".join("%s: %s\n" % (f, str(queue[f]).lower() if f == "enabled" else queue[f])
                   for f in ("name",) + FIELDS)


def request(name=None, action=None, wanted=None):
    """The JSON request for PERL_PROGRAM. No action: just read the table (and
    count the busy jobs of queue ``name``). A change also wakes Almighty."""
    queue = {"name": name}
    if wanted is not None:
        queue.update(priority=wanted["priority"], scheduler=wanted["scheduler"],
                     state="Active" if wanted["enabled"] else "notActive")
    return {"action": action, "notify": action is not None, "queue": queue}


def busy_jobs_message(name, count):
    return ("queue %s still has %d job(s) that are not Terminated or Error: removing it would leave them "
            "stranded (oarsub -q %s refused, jobs never scheduled). Delete or move them first, "
            "or set force=true." % (name, count, name))


# OAR2's tools run with this set by oardo; without it OAR::Conf finds no file.
PERL_ENV = {"OARCONFFILE": "/etc/oar/oar.conf"}

# Reads the JSON request on stdin, prints {"queues": [rows], "busy": N} on
# stdout. Dies (non-zero exit, message on stderr) on any DB error, and then
# the transaction is rolled back. Names are bound parameters, never pasted.
PERL_PROGRAM = r"""
use strict;
use warnings;
use JSON;
use OAR::IO;
use OAR::Conf qw(init_conf get_conf);
use OAR::Tools;

my $req = decode_json(do { local $/; <STDIN> });
my $action = $req->{action};
my $q = $req->{queue};
my $dbh = defined($action) ? OAR::IO::connect() : OAR::IO::connect_ro();
$dbh->{RaiseError} = 1;
$dbh->{PrintError} = 0;
$dbh->begin_work() if defined($action);

my ($busy) = $dbh->selectrow_array(
    "SELECT COUNT(*) FROM jobs WHERE queue_name = ? AND state NOT IN ('Terminated', 'Error')",
    undef, defined($q->{name}) ? $q->{name} : '');
my $done = 0;
if (!defined($action)) {
} elsif ($action eq 'create') {
    $done = $dbh->do("INSERT INTO queues (queue_name, priority, scheduler_policy, state) VALUES (?, ?, ?, ?)",
                     undef, $q->{name}, $q->{priority}, $q->{scheduler}, $q->{state});
} elsif ($action eq 'update') {
    $done = $dbh->do("UPDATE queues SET priority = ?, scheduler_policy = ?, state = ? WHERE queue_name = ?",
                     undef, $q->{priority}, $q->{scheduler}, $q->{state}, $q->{name});
} elsif ($action eq 'delete') {
    $done = $dbh->do("DELETE FROM queues WHERE queue_name = ?", undef, $q->{name});
} else {
    die "unknown action $action\n";
}
die "the $action of queue $q->{name} touched $done rows instead of 1\n" if defined($action) && $done != 1;
if (defined($action) && $action ne 'delete') {
    my $r = $dbh->selectrow_hashref(
        "SELECT priority, scheduler_policy, state FROM queues WHERE queue_name = ?", undef, $q->{name});
    die "queue $q->{name} does not read back as written: nothing was changed\n"
        unless $r && $r->{priority} == $q->{priority} && $r->{scheduler_policy} eq $q->{scheduler}
            && $r->{state} eq $q->{state};
}
my $rows = $dbh->selectall_arrayref(
    "SELECT queue_name, priority, scheduler_policy, state FROM queues", { Slice => {} });
$dbh->commit() if defined($action);
OAR::IO::disconnect($dbh);
if ($req->{notify}) {
    init_conf($ENV{OARCONFFILE});
    OAR::Tools::notify_tcp_socket(get_conf("SERVER_HOSTNAME"), get_conf("SERVER_PORT"), "Term");
}
print encode_json({ queues => $rows, busy => $busy + 0 });
"""


def execute(req, timeout, what):
    """Run PERL_PROGRAM on a request; return (every queue, busy job count).
    Raises oar_run.RunError."""
    result = run_json(["perl", "-e", PERL_PROGRAM], req, timeout, what, PERL_ENV)
    return [queue_from_row(r) for r in result["queues"]], result["busy"]
