# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings of oar.conf that OAR2 accepts and OAR3 does not (see the facts
file, "kao and kamelot settings"): checked before kamelot or kao is switched
on, because OAR3 then fails on every round."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.oar.oar3.plugins.module_utils import _conf as oar_conf
from ansible_collections.oar.oar3.plugins.module_utils._conf import db_url_problem, is_secret, perl_read_line, split_lines

DEFAULT_QUOTAS_FILE = "/etc/oar/quotas_conf.json"
# OAR3 builds its database URL from these without escaping. The rule and its
# message are oar_conf's (db_url_problem), which refuses to write such values.
DB_URL_KEYS = oar_conf.DB_URL_KEYS
DB_URL_BREAKERS = oar_conf.DB_URL_BREAKERS


def read_conf(text):
    """{key: value} as OAR2's Perl reads the file (the last active line wins)."""
    values = {}
    for line in split_lines(text):
        key, value = perl_read_line(line)
        if key is not None:
            values[key] = value
    return values


def problems(values, read_file):
    """What stops OAR3 from running with these settings: list of messages that
    name keys and files, never a secret value. read_file(path) returns the
    file's text or raises OSError."""
    found = []
    for key in DB_URL_KEYS:
        problem = db_url_problem(key, values.get(key, ""))
        if problem:
            found.append(problem)
    if values.get("QUOTAS") == "yes":
        path = values.get("QUOTAS_CONF_FILE", DEFAULT_QUOTAS_FILE)
        try:
            rules = json.loads(read_file(path))
            if not isinstance(rules, dict):
                raise ValueError("not a JSON object")
        except OSError as e:
            found.append("QUOTAS=\"yes\" but QUOTAS_CONF_FILE %s cannot be read (%s): OAR3's kamelot loads it on "
                         "every round and crashes without it." % (path, e.strerror or e))
        except ValueError as e:
            found.append("QUOTAS=\"yes\" but QUOTAS_CONF_FILE %s is not valid JSON rules (%s): OAR3's kamelot "
                         "loads it on every round and crashes on it." % (path, e))
    return found


def public(values, keys):
    """The values of keys, None when unset; secret keys are refused."""
    secret = [k for k in keys if is_secret(k)]
    if secret:
        raise ValueError("will not return the value of %s" % ", ".join(secret))
    return {k: values.get(k) for k in keys}


LABELS_RE = re.compile(r"[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*")


def check_labels(labels, columns, var):
    """Problems of HIERARCHY_LABELS given the resources table's columns (None:
    its form only, checked before anything is read)."""
    if not isinstance(labels, str) or not LABELS_RE.fullmatch(labels):
        return ["%s '%s' must be column names separated by commas, without spaces." % (var, labels)]
    if columns is None:
        return []
    unknown = [label for label in labels.split(",") if label not in columns]
    if unknown:
        return ["%s: %s is not a column of the resources table (%s)." % (var, ", ".join(unknown), ", ".join(columns))]
    return []


def check_queues(switch, queues, var):
    """Problems of a switch: every queue it names must exist."""
    names = [q["name"] for q in queues]
    unknown = [item["name"] for item in switch if item["name"] not in names]
    if unknown:
        return ["%s: no queue %s on this server (queues: %s)." % (var, ", ".join(unknown), ", ".join(names))]
    return []


def changes(queue_ops, conf_keys, values, settings):
    """What a change would do, one line each, for the user and for deciding
    whether the change needs a pending state."""
    found = []
    for name, _action, before, after in queue_ops:
        fields = ["%s %s -> %s" % (f, (before or {}).get(f), after[f])
                  for f in ("scheduler", "priority", "enabled") if (before or {}).get(f) != after[f]]
        found.append("queue %s: %s" % (name, ", ".join(fields)))
    found += ["%s: %s -> %s" % (k, "unset" if values.get(k) is None else values.get(k),
                                "unset" if settings.get(k) is None else settings[k]) for k in conf_keys]
    return found


def link_changes(links, readlink):
    """A line for each {src, dest} whose dest is not a symlink to src.
    readlink(path) returns the link's target, or raises OSError (not a link,
    or missing)."""
    found = []
    for link in links:
        try:
            now = readlink(link["dest"])
        except OSError:
            now = None
        if now != link["src"]:
            found.append("link %s -> %s (now: %s)" % (link["dest"], link["src"], "missing" if now is None else now))
    return found


def column_changes(wanted, columns_of):
    """A line for each {table, name} that columns_of(table) lacks; each table is read once."""
    seen, found = {}, []
    for column in wanted:
        table = column["table"]
        if table not in seen:
            seen[table] = columns_of(table)
        if column["name"] not in seen[table]:
            found.append("column %s.%s: missing -> added" % (table, column["name"]))
    return found


def package_versions(names, dpkg_output):
    """{name: installed version or None} from the output of
    `dpkg-query --show --showformat='${Package} ${db:Status-Status} ${Version}\\n' NAMES...`."""
    versions = dict((name, None) for name in names)
    for line in dpkg_output.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] in versions and fields[1] == "installed":
            versions[fields[0]] = fields[2]
    return versions


def leftovers(name, entries):
    """The temporary files of a killed oar.conf write among a directory's entries."""
    return sorted(e for e in entries if oar_conf.is_temp_name(name, e))
