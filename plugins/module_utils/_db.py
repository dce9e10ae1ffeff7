# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Columns of OAR2's database: list them, add missing ones (never drop or alter).

OAR3's kamelot reads columns OAR2's schema lacks (jobs.last_karma), and
HIERARCHY_LABELS must name columns of the resources table. Like the queue
modules, this goes through OAR2's own Perl library (OAR::IO), so the
database credentials of oar.conf never pass through Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.oar.oar3.plugins.module_utils._queue import PERL_ENV, PERL_HEAD

IDENTIFIER_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Types a column may be added with: what OAR3's schema uses. They reach SQL
# as written, so only these.
TYPES = ("real", "integer", "bigint", "double precision", "text", "boolean")


class OarDbError(Exception):
    pass


def check_identifier(value, what):
    if not isinstance(value, str) or not IDENTIFIER_RE.fullmatch(value):
        raise OarDbError("%s %r is not allowed: use a lower-case SQL name (letters, digits, '_'; "
                         "at most 63 characters, not starting with a digit)." % (what, value))


def validate(table, ensure):
    """Refuse bad input before anything runs; ensure is [{name, type}]."""
    check_identifier(table, "table")
    seen = set()
    for column in ensure:
        check_identifier(column.get("name"), "column")
        if column.get("type") not in TYPES:
            raise OarDbError("column %s: type %r is not one of %s."
                             % (column["name"], column.get("type"), ", ".join(TYPES)))
        if column["name"] in seen:
            raise OarDbError("column %s is listed twice." % column["name"])
        seen.add(column["name"])


def missing(columns, ensure):
    """The entries of ensure whose column is not in columns, in order."""
    return [c for c in ensure if c["name"] not in columns]


# Reads {"table": T, "add": [{name, type}]} on stdin; prints {"columns": [...]}
# (after the additions). Adds in one transaction, IF NOT EXISTS, with quoted
# identifiers; dies (non-zero exit, message on stderr) on any DB error.
PERL_PROGRAM = PERL_HEAD + r"""
my $req = decode_json(do { local $/; <STDIN> });
my @add = @{$req->{add}};
my $dbh = connect_once(scalar @add);
my $columns = sub {
    $dbh->selectcol_arrayref(
        "SELECT column_name FROM information_schema.columns "
        . "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        undef, $req->{table});
};
die "the OAR database has no table $req->{table}\n" unless @{$columns->()};
if (@add) {
    $dbh->begin_work();
    for my $c (@add) {
        $dbh->do("ALTER TABLE " . $dbh->quote_identifier($req->{table}) . " ADD COLUMN IF NOT EXISTS "
                 . $dbh->quote_identifier($c->{name}) . " " . $c->{type});
    }
    my %now = map { $_ => 1 } @{$columns->()};
    for my $c (@add) {
        die "column $c->{name} is not in table $req->{table} after adding it: nothing was changed\n"
            unless $now{$c->{name}};
    }
    $dbh->commit();
}
print encode_json({ columns => $columns->() });
OAR::IO::disconnect($dbh);
"""


def columns(runner, table, add, what):
    """The table's columns, after adding `add` ([{name, type}], validated).
    runner: an oar_run.Runner."""
    return runner.run_json(["perl", "-e", PERL_PROGRAM], {"table": table, "add": add}, what, PERL_ENV)["columns"]
