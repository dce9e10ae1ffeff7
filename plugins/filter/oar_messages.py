# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages of the roles' failures: what failed, what was put back, and what
is still to look at. Kept here so that the roles' tasks hold no logic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _log(failed, since):
    lines = (failed or {}).get("lines") or []
    return " OAR's log since the %s: %s" % (since, " | ".join(lines)) if lines else ""


def oar_kamelot_put_back_msg(failed, host, queues):
    """After the queues went back to their recorded schedulers: failed is
    ansible_failed_result of the switch or of its round."""
    names = ", ".join(q["name"] for q in queues or []) or "(none recorded)"
    why = (failed or {}).get("msg") or "no reason given"
    return ("The switch to kamelot failed on %s (or its round did not run cleanly), so the queues %s were put back "
            "to their previous scheduler, priority and state: %s.%s"
            % (host, names, why.rstrip("."), _log(failed, "switch")))


def oar_kao_put_back_msg(failed, host, expected, back):
    """After oar.conf's metascheduler keys went back and oar-server was
    restarted on them: back is the result of that restart."""
    back = back or {}
    state = back.get("server_state") or "unknown"
    why = (failed or {}).get("msg") or "oar-server is not active"
    msg = ("After the restart for META_SCHED_CMD=%s, oar-server did not schedule cleanly on %s: %s. oar.conf was "
           "put back as it was before the change (META_SCHED_CMD and METASCHEDULER_OAR3_WITH_OAR2) and oar-server "
           "restarted on it" % (expected, host, why.rstrip(".")))
    if state != "active":
        msg += ", but it is %s: look at it now" % state
    if back.get("restored"):
        msg += "; queues given back: %s" % ", ".join(back["restored"])
    return msg + "." + _log(failed, "restart")


class FilterModule(object):
    def filters(self):
        return {"oar_kamelot_put_back_msg": oar_kamelot_put_back_msg,
                "oar_kao_put_back_msg": oar_kao_put_back_msg}
