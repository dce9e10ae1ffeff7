"""playbooks/report.yml, run once after the migration, tells the truth about
each server."""

import pytest
from oartest import other_host, run_playbook
from test_migrated import KAO

SERVERS = ["oar2-deb12", "oar2-deb13", "oar2-deb13-kamelot"]
testinfra_hosts = [SERVERS[0]]  # the report covers every server
report = {}  # server: its block of the report, filled by the first test


@pytest.mark.parametrize("server", SERVERS)
def test_the_report_says_what_each_server_runs(host, server, tmp_path_factory):
    if not report:
        path = tmp_path_factory.mktemp("report") / "report.txt"
        run = run_playbook(host, "oar.oar3.report", {"oar3_report_file": str(path),
                                                      "oar3_report_smoke_user": "oaruser"})
        assert run.rc == 0, run.failures()
        assert run.changed_tasks() == {"Write the report of every server to oar3_report_file"}
        report.update({block.splitlines()[0]: block for block in path.read_text().strip().split("\n\n")})
    text = report[server]
    python3_oar = other_host(host, server).check_output("dpkg-query -W -f='${Version}' python3-oar")
    assert "OAR3 python3-oar  %s" % python3_oar in text
    assert "kamelot seen      yes, smoke job" in text
    if KAO[server]:
        assert "META_SCHED_CMD    kao" in text
        # Debian 13's OAR2 logs Almighty's launches; Debian 12's does not at LOG_LEVEL 2.
        assert ("kao seen          yes, /usr/lib/oar/kao ended with exit value 0" if server != "oar2-deb12"
                else "kao seen          yes, smoke job") in text
    else:
        assert "META_SCHED_CMD    not set" in text and "kao seen          not the metascheduler" in text
