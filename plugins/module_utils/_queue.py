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
``OAR::IO::connect_one``/``connect_ro_one`` (so OAR2's own reading of oar.conf
and its DB credentials, which never pass through this code; one attempt, where
``connect`` retries with ever longer sleeps while the database is down) and
changes the row
in place with bound parameters, inside one transaction that is read back
before it commits: a failure at any point leaves the queue as it was.
Then it wakes Almighty the way ``oarnotify`` does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oar.oar3.plugins.module_utils._run import RunError

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


def plan_set(current, wanted):
    """Plan a change of a set of queues in one transaction.

    current: every queue as read; wanted: [{name, priority?, scheduler?,
    enabled?, state?}] (a field left out or None keeps its value). Returns
    [(name, action, before, after)] for the queues that change, in the order
    given; before is the row the write expects (compare-and-set), None for a
    creation. Raises QueueError for bad input, a queue listed twice, or a
    queue that cannot be created."""
    by_name = dict((q["name"], q) for q in current)
    seen, ops = set(), []
    for item in wanted:
        name = item.get("name")
        check_name(name, "queue name")
        if name in seen:
            raise QueueError("queue %s is listed twice." % name)
        seen.add(name)
        now = by_name.get(name)
        action, after = plan(now, name, item.get("state") or "present", item.get("priority"),
                             item.get("scheduler"), item.get("enabled"))
        if action is not None:
            ops.append((name, action, now, after))
    return ops


def _state(queue):
    return "Active" if queue["enabled"] else "notActive"


def _row(queue):
    return {"priority": queue["priority"], "scheduler": queue["scheduler"], "state": _state(queue)}


def request(ops=(), force=False, busy_of=None):
    """The JSON request for PERL_PROGRAM. No ops: just read the table (and
    count the unfinished jobs of queue busy_of)."""
    return {"force": bool(force), "busy_of": busy_of,
            "ops": [{"name": name, "action": action,
                     "expect": _row(before) if before else None,
                     "want": _row(after) if after else None} for name, action, before, after in ops]}


def render_set(queues):
    """Queues as diff text, a blank line between two."""
    return "\n".join(render(q) for q in queues)


def busy_jobs_message(name, count):
    return ("queue %s still has %d job(s) that are not Terminated or Error: removing it would leave them "
            "stranded (oarsub -q %s refused, jobs never scheduled). Delete or move them first, "
            "or set force=true." % (name, count, name))


# OAR2's tools run with this set by oardo; without it OAR::Conf finds no file.
PERL_ENV = {"OARCONFFILE": "/etc/oar/oar.conf"}

# The start of the Perl programs of the modules: connect_once($rw) opens a
# read-write (else read-only) connection in one attempt, because
# OAR::IO::connect retries with ever longer sleeps while the database is down.
PERL_HEAD = r"""
use strict;
use warnings;
use JSON;
use OAR::IO;

sub connect_once {
    my ($rw) = @_;
    my $dbh = $rw ? OAR::IO::connect_one() : OAR::IO::connect_ro_one();
    defined($dbh) or die "cannot connect to OAR's database: " . ($DBI::errstr // "no reason given") . "\n";
    $dbh->{RaiseError} = 1;
    $dbh->{PrintError} = 0;
    return $dbh;
}
"""

# Markers of the refusals PERL_PROGRAM makes inside its transaction.
CONFLICT = "OAR3-CONFLICT"
BUSY = "OAR3-BUSY"

# Reads the JSON request on stdin, prints {"queues": [rows], "busy": N} on
# stdout. Dies (non-zero exit, message on stderr) on any DB error or refusal,
# and then the transaction is rolled back: every queue is as it was. Each
# update is a compare-and-set (the row must still be what the caller read),
# so a concurrent `oarnotify -d` is never undone. Names are bound parameters.
PERL_PROGRAM = PERL_HEAD + r"""
my $req = decode_json(do { local $/; <STDIN> });
my @ops = @{$req->{ops}};
my $dbh = connect_once(scalar @ops);
$dbh->begin_work() if @ops;

my $count_busy = sub {
    my ($row) = $dbh->selectrow_array(
        "SELECT COUNT(*) FROM jobs WHERE queue_name = ? AND state NOT IN ('Terminated', 'Error')", undef, $_[0]);
    return $row + 0;
};
for my $op (@ops) {
    my ($n, $e, $w) = ($op->{name}, $op->{expect}, $op->{want});
    if ($op->{action} eq 'create') {
        $dbh->do("INSERT INTO queues (queue_name, priority, scheduler_policy, state) VALUES (?, ?, ?, ?)",
                 undef, $n, $w->{priority}, $w->{scheduler}, $w->{state});
        next;
    }
    my $r = $dbh->selectrow_hashref(
        "SELECT priority, scheduler_policy, state FROM queues WHERE queue_name = ? FOR UPDATE", undef, $n);
    die "OAR3-CONFLICT queue $n changed since it was read\n"
        unless $r && $r->{priority} == $e->{priority} && $r->{scheduler_policy} eq $e->{scheduler}
            && $r->{state} eq $e->{state};
    if ($op->{action} eq 'delete') {
        # Jobs cannot be added to or moved between queues until the commit.
        $dbh->do("LOCK TABLE jobs IN SHARE MODE");
        my $busy = $count_busy->($n);
        die "OAR3-BUSY $busy\n" if $busy && !$req->{force};
        $dbh->do("DELETE FROM queues WHERE queue_name = ?", undef, $n);
        next;
    }
    $dbh->do("UPDATE queues SET priority = ?, scheduler_policy = ?, state = ? WHERE queue_name = ?",
             undef, $w->{priority}, $w->{scheduler}, $w->{state}, $n);
}
for my $op (grep { $_->{action} ne 'delete' } @ops) {
    my ($n, $w) = ($op->{name}, $op->{want});
    my $r = $dbh->selectrow_hashref(
        "SELECT priority, scheduler_policy, state FROM queues WHERE queue_name = ?", undef, $n);
    die "queue $n does not read back as written: nothing was changed\n"
        unless $r && $r->{priority} == $w->{priority} && $r->{scheduler_policy} eq $w->{scheduler}
            && $r->{state} eq $w->{state};
}
my $rows = $dbh->selectall_arrayref(
    "SELECT queue_name, priority, scheduler_policy, state FROM queues", { Slice => {} });
my $busy = defined($req->{busy_of}) ? $count_busy->($req->{busy_of}) : 0;
$dbh->commit() if @ops;
OAR::IO::disconnect($dbh);
print encode_json({ queues => $rows, busy => $busy });
"""


def execute(runner, req, what):
    """Run PERL_PROGRAM on a request; return (every queue, busy job count).
    Raises oar_run.RunError; its stderr starts with CONFLICT or BUSY for the
    refusals made inside the transaction."""
    result = runner.run_json(["perl", "-e", PERL_PROGRAM], req, what, PERL_ENV)
    return [queue_from_row(r) for r in result["queues"]], result["busy"]


def read_all(runner, what="reading the OAR queues"):
    return sort_queues(execute(runner, request(), what)[0])


def apply_set(runner, wanted, force=False, check_mode=False, attempts=3, validate_op=None):
    """Plan and apply wanted (see plan_set) in one transaction, re-reading and
    re-planning when a queue changed between the read and the write.

    validate_op(name, action, before, after) may raise QueueError before any
    write. Returns (before: every queue, after: every queue, ops). Raises
    QueueError (refusals) and RunError (failures; nothing was changed)."""
    for attempt in range(attempts):
        before = read_all(runner)
        ops = plan_set(before, wanted)
        for op in ops:
            if validate_op:
                validate_op(*op)
            if op[1] == "delete" and not force:
                busy = execute(runner, request(busy_of=op[0]), "counting the jobs of queue %s" % op[0])[1]
                if busy:
                    raise QueueError(busy_jobs_message(op[0], busy))
        if not ops or check_mode:
            after = apply_ops(before, ops)
            return before, after, ops
        try:
            after, _busy = execute(runner, request(ops, force), "the change of queue(s) %s"
                                   % ", ".join(op[0] for op in ops))
        except RunError as e:
            e.before = before
            if CONFLICT in e.stderr and attempt + 1 < attempts:
                continue
            if BUSY in e.stderr:
                name = next(op[0] for op in ops if op[1] == "delete")
                raise QueueError(busy_jobs_message(name, int(e.stderr.split(BUSY, 1)[1].split()[0])))
            if CONFLICT in e.stderr:
                conflict = RunError("queue(s) %s kept changing while being written (%d tries)."
                                    % (", ".join(op[0] for op in ops), attempts))
                conflict.before = before
                raise conflict
            raise
        return before, sort_queues(after), ops
    raise AssertionError("unreachable")


def apply_ops(queues, ops):
    """The queues as they read once ops are applied (for check mode)."""
    by_name = dict((q["name"], q) for q in queues)
    for name, action, _before, after in ops:
        if action == "delete":
            by_name.pop(name, None)
        else:
            by_name[name] = after
    return sort_queues(by_name.values())


def wake_almighty(host, port, timeout, connect=None, clock=None, sleep=None):
    """Send Almighty the 'Term' tag, as oarnotify does, trying again until
    timeout seconds have passed: just after a restart of oar-server, Almighty
    is not listening yet (refused, or EADDRNOTAVAIL for one of localhost's
    addresses). Returns None, or why it failed."""
    import socket
    import time
    connect = connect or socket.create_connection
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    try:
        address = (host, int(port))
    except ValueError as e:
        return "could not notify Almighty at %s:%s (%s)" % (host, port, e)
    deadline = clock() + timeout
    while True:
        try:
            sock = connect(address, max(0.5, deadline - clock()))
            try:
                sock.sendall(b"Term\n")
            finally:
                sock.close()
            return None
        except OSError as e:
            if clock() + WAKE_RETRY_S >= deadline:
                return "could not notify Almighty at %s:%s within %ss (%s)" % (host, port, timeout, e)
        sleep(WAKE_RETRY_S)


WAKE_RETRY_S = 0.25


def almighty_address(values):
    """Almighty's address from oar.conf's values (OAR2's defaults)."""
    return values.get("SERVER_HOSTNAME") or "localhost", values.get("SERVER_PORT") or "6666"
