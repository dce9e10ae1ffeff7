# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings of oar.conf that OAR2 accepts and OAR3 does not (see the facts
file, "kao and kamelot settings"): checked before kamelot or kao is switched
on, because OAR3 then fails on every round."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.oar.oar3.plugins.module_utils import oar_conf
from ansible_collections.oar.oar3.plugins.module_utils.oar_conf import db_url_problem, is_secret, perl_read_line, split_lines

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
