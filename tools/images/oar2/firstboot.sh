#!/bin/bash
# First boot of a test OAR2 server: random DB passwords, the OAR database,
# and four resources (2 nodes x 2 cores) with properties cpu and core.
set -euo pipefail
for _ in $(seq 120); do pg_isready -q && break; sleep 0.5; done
pg_isready -q || { echo "PostgreSQL did not come up" >&2; exit 1; }

# Random passwords per container: tests read them back from oar.conf to
# assert that no output ever shows them.
rw=$(python3 -c 'import secrets; print(secrets.token_hex(10))')
ro=$(python3 -c 'import secrets; print(secrets.token_hex(10))')
sed -i -e "s/^DB_BASE_PASSWD=.*/DB_BASE_PASSWD=\"$rw\"/" \
       -e "s/^DB_BASE_PASSWD_RO=.*/DB_BASE_PASSWD_RO=\"$ro\"/" /etc/oar/oar.conf
# The nodes are fake: a ping checker that reports every node as good keeps
# OAR from turning them Suspected.
sed -i -e 's/^PINGCHECKER_SENTINELLE_SCRIPT_COMMAND=/#&/' \
       -e 's|^#PINGCHECKER_GENERIC_COMMAND=.*|PINGCHECKER_GENERIC_COMMAND="/bin/true"|' /etc/oar/oar.conf

oar-database --create --db-is-local -y
oarproperty -a cpu -a core
cpu=0 core=0
for node in node1 node2; do
    cpu=$((cpu + 1))
    for _ in 1 2; do
        core=$((core + 1))
        oarnodesetting -a -h "$node" -p cpu="$cpu" -p core="$core"
    done
done
touch /var/lib/oar/.firstboot-done
