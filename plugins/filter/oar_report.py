# -*- coding: utf-8 -*-
# Copyright (c) oar.oar3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/report.yml: what a server's report says, from the
proofs the roles made in this run or from a live round."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _version(versions, package):
    return (versions or {}).get(package) or "not installed"


def oar_smoke_queue(queues, wanted=None):
    """wanted, else default when kamelot schedules it, else another enabled
    kamelot queue, else default when enabled ('' when none: no smoke job).
    A queue such as admin may refuse an ordinary user."""
    if wanted:
        return wanted
    enabled = [q["name"] for q in queues if q["enabled"]]
    kamelot = [q["name"] for q in queues if q["enabled"] and q["scheduler"] == "kamelot"]
    choices = (["default"] if "default" in kamelot else []) + kamelot
    choices += ["default"] if "default" in enabled else []
    return choices[0] if choices else ""


def oar_queue_names(queues, scheduler=None, enabled=None):
    """Names of the queues with that scheduler and that state (None: any)."""
    return [q["name"] for q in queues
            if (scheduler is None or q.get("scheduler") == scheduler) and (enabled is None or q.get("enabled") == enabled)]


def _usable(rounds):
    return [r for r in rounds if isinstance(r, dict) and (r.get("outcome") or r.get("failed"))]


def oar_report(versions, queues, meta, rounds, check_mode=False, smoke_queue=""):
    """The fields of a server's report. rounds: results of oar_sched_check
    (the roles' proofs of this run, or the report's live round), most
    relevant first; skipped or missing ones are ignored."""
    rounds = _usable(rounds)
    smoke_queue = smoke_queue or oar_smoke_queue(queues)
    kamelot_queues = [q["name"] for q in queues if q["scheduler"] == "kamelot"]
    is_kao = (meta or "").rsplit("/", 1)[-1] == "kao"
    failed = next((r for r in rounds if r.get("failed")), None)
    unseen = next((r for r in rounds if r.get("outcome") == "unseen"), None)
    if check_mode:
        not_seen = "not seen: check mode"
    elif not rounds:
        not_seen = "not watched: no round in this run (run oar.oar3.report to watch one)"
    else:
        not_seen = ("not seen: no job placed, no launch in OAR's log (set oar3_report_smoke_user to submit one; "
                    "OAR2 2.5.9 logs launches only at LOG_LEVEL 3)")

    def smoke_placed(r):
        return r.get("smoke_job") and r["smoke_job"] in r.get("scheduled", [])

    kamelot = "not used by any queue"
    if kamelot_queues:
        kamelot = not_seen
        for r in rounds:
            if smoke_placed(r):
                kamelot = "yes, smoke job %s placed in queue %s" % (r["smoke_job"], smoke_queue or "default")
                break
            ran = [e for e in r.get("evidence", []) if "kamelot" in e]
            if ran and r.get("outcome") == "proven":
                kamelot = "yes, " + "; ".join(r["evidence"])
                break
    kao = "not the metascheduler"
    if is_kao:
        kao = not_seen
        for r in rounds:
            if "exit value" in (r.get("meta_sched") or ""):
                kao = "yes, " + r["meta_sched"]
                break
            if smoke_placed(r):
                kao = "yes, smoke job %s placed while Almighty runs kao" % r["smoke_job"]
                break
    round_line = ""
    if failed:
        round_line = "FAILED: %s" % failed.get("msg", "")
    elif unseen:
        round_line = "no failure, placement not seen: %s" % unseen.get("unseen", "")
    return dict(
        oar2=_version(versions, "oar-server"),
        oar3=_version(versions, "python3-oar"),
        meta=meta or "not set (OAR2 runs oar_meta_sched)",
        queues=", ".join("%s: %s%s" % (q["name"], q["scheduler"], "" if q["enabled"] else " (disabled)")
                         for q in queues),
        kamelot=kamelot, kao=kao, round=round_line, failed=bool(failed),
    )


class FilterModule(object):
    def filters(self):
        return {"oar_report": oar_report, "oar_smoke_queue": oar_smoke_queue, "oar_queue_names": oar_queue_names}
