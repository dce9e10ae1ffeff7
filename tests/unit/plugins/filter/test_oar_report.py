# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's fields, from the roles' proofs or a live round: three outcomes kept apart."""

from __future__ import annotations

from ansible_collections.oar.oar3.plugins.filter.oar_report import oar_queue_names, oar_report, oar_smoke_queue

GANTT = "oar_sched_gantt_with_timesharing"
QUEUES = [{"name": "admin", "scheduler": GANTT, "enabled": True},
          {"name": "default", "scheduler": "kamelot", "enabled": True},
          {"name": "besteffort", "scheduler": GANTT, "enabled": False}]
VERSIONS = {"oar-server": "2.6.1-1", "python3-oar": "3.0.2-0oar3~deb13"}


def test_smoke_queue():
    assert oar_smoke_queue(QUEUES) == "default"
    assert oar_smoke_queue(QUEUES, "admin") == "admin"
    assert oar_smoke_queue([dict(q, scheduler=GANTT) for q in QUEUES]) == "default"
    assert oar_smoke_queue([{"name": "x", "scheduler": GANTT, "enabled": False}]) == ""


def test_proven_rounds():
    kao = {"outcome": "proven", "meta_sched": "/usr/lib/oar/kao ended with exit value 0", "evidence": ["a"]}
    kamelot = {"outcome": "proven", "evidence": ["kamelot scheduled queue(s) default"], "smoke_job": "4",
               "scheduled": ["4"]}
    r = oar_report(VERSIONS, QUEUES, "kao", [{}, {"skipped": True}, kao, kamelot])
    assert r["oar2"] == "2.6.1-1" and r["oar3"] == "3.0.2-0oar3~deb13"
    assert r["queues"] == "admin: %s, default: kamelot, besteffort: %s (disabled)" % (GANTT, GANTT)
    assert r["kao"] == "yes, /usr/lib/oar/kao ended with exit value 0"
    assert r["kamelot"] == "yes, smoke job 4 placed in queue default"
    assert r["round"] == "" and not r["failed"]


def test_unseen_is_not_a_failure():
    unseen = {"outcome": "unseen", "unseen": "no failure within 60 s, but no placement could be seen", "evidence": []}
    r = oar_report(VERSIONS, QUEUES, None, [unseen])
    assert not r["failed"] and r["round"].startswith("no failure, placement not seen")
    assert r["kamelot"].startswith("not seen") and r["kao"] == "not the metascheduler"
    assert r["meta"] == "not set (OAR2 runs oar_meta_sched)"


def test_failed_and_not_watched():
    r = oar_report(VERSIONS, QUEUES, "kao", [{"failed": True, "msg": "boom"}])
    assert r["failed"] and r["round"] == "FAILED: boom"
    r = oar_report({"oar-server": "2.6.1-1", "python3-oar": None}, [dict(q, scheduler=GANTT) for q in QUEUES], "", [])
    assert r["oar3"] == "not installed" and r["kamelot"] == "not used by any queue"
    assert oar_report(VERSIONS, QUEUES, "kao", [])["kao"].startswith("not watched")
    assert oar_report(VERSIONS, QUEUES, "kao", [], check_mode=True)["kao"] == "not seen: check mode"


def test_queue_names():
    assert oar_queue_names(QUEUES, scheduler="kamelot", enabled=True) == ["default"]
    assert oar_queue_names(QUEUES, scheduler=GANTT) == ["admin", "besteffort"]
    assert oar_queue_names(QUEUES, enabled=False) == ["besteffort"]
    assert oar_queue_names([dict(q, enabled=False) for q in QUEUES], scheduler="kamelot", enabled=True) == []
