"""Helpers shared by the kao scenario's test files."""

from oartest import queue_table, role_play, run_play

LOG = "/var/log/oar.log"


def kao(host, check=False, diff=False, verbosity=0, **role_vars):
    return run_play(host, role_play("kao", **role_vars), limit=host.backend.host, check=check, diff=diff,
                    verbosity=verbosity)


def almighty_pid(host):
    return host.check_output("pgrep -o -f '^/usr/bin/perl /usr/lib/oar/Almighty'")


def log_size(host):
    return host.file(LOG).size


def log_since(host, size):
    return host.check_output("tail -c +%s %s", str(size + 1), LOG)


def logs_launches(host):
    """OAR2 2.6.1 (Debian 13) logs Almighty's launches at LOG_LEVEL 2; 2.5.9 only at 3."""
    return host.backend.host == "oar2-deb13"


def state(host):
    """What a refused or check-mode run must leave as it is."""
    return (queue_table(host), host.check_output("md5sum /etc/oar/oar.conf"), almighty_pid(host),
            host.run("ls -l /etc/ansible/facts.d").stdout)
