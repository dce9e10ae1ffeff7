#!/bin/bash
# The upstream page "Mixing OAR3 and OAR2", done by hand as one bash script on
# one OAR2 server: the baseline bench/run.sh times playbooks/migrate.yml
# against. It does the same work as the playbook with the same build route
# (the collection's minimal pybuild packaging), plus the two fixes without
# which jobs stay unscheduled (jobs.last_karma, the re-added queue enabled):
# a comparison with less work would flatter the script.
# procset's sdist comes from the controller, as the debs role does it (the
# test containers cannot check PyPI's certificate behind this site's proxy).
#   OAR3_REPO=/srv/oar3.git OAR3_VERSION=3.0.1 PROCSET_SDIST=/root/procset-1.0.tar.gz bash seed-procedure.sh
set -euo pipefail
: "${OAR3_REPO:?}" "${OAR3_VERSION:?}" "${PROCSET_SDIST:?}"
work=/var/tmp/seed
rm -rf "$work" && mkdir -p "$work"
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    python3-alembic python3-click python3-clustershell python3-escapism python3-fastapi python3-flask \
    python3-passlib python3-psutil python3-psycopg2 python3-requests python3-rich python3-simplejson \
    python3-sqlalchemy python3-sqlalchemy-utils python3-tabulate python3-toml python3-yaml python3-zmq \
    build-essential dpkg-dev fakeroot debhelper dh-python python3-all python3-setuptools git >/dev/null

debianize() {  # dir source-name binary version scripts-dir depends
    mkdir -p "$1/debian/source"
    echo "3.0 (native)" >"$1/debian/source/format"
    printf '%s (%s) unstable; urgency=medium\n\n  * Seed procedure.\n\n -- seed <root@localhost>  %s\n' \
        "$2" "$4" "$(date -R)" >"$1/debian/changelog"
    printf 'Source: %s\nSection: python\nPriority: optional\nMaintainer: seed <root@localhost>\n%s\n%s\n\n' "$2" \
        "Build-Depends: debhelper-compat (= 13), dh-python, python3-all, python3-setuptools" \
        "Rules-Requires-Root: no" >"$1/debian/control"
    printf 'Package: %s\nArchitecture: all\nDepends: ${misc:Depends}, ${python3:Depends}%s\nDescription: %s\n seed\n' \
        "$3" "$6" "$3" >>"$1/debian/control"
    printf '#!/usr/bin/make -f\nexport PYBUILD_DISABLE=test\n%s\n%%:\n\tdh $@ --with python3 --buildsystem=pybuild\n' \
        "${5:+export PYBUILD_INSTALL_ARGS_python3=--install-scripts=$5}" >"$1/debian/rules"
    chmod +x "$1/debian/rules"
    (cd "$1" && dpkg-buildpackage -b -uc -us >../build-"$2".log 2>&1)
}

git clone -q "$OAR3_REPO" "$work/oar3"
git -C "$work/oar3" checkout -q "$OAR3_VERSION"
debianize "$work/oar3" oar3 python3-oar "$OAR3_VERSION" /usr/lib/oar ", python3-procset"

mkdir "$work/procset" && tar -xzf "$PROCSET_SDIST" -C "$work/procset" --strip-components=1
debianize "$work/procset" procset python3-procset 1.0 "" ""

apt-get install -y -qq "$work"/python3-procset_*.deb "$work"/python3-oar_*.deb >/dev/null

ln -sfn /usr/lib/oar/kamelot /usr/lib/oar/schedulers/kamelot
runuser -u postgres -- psql -XAtq -d oar -c "ALTER TABLE jobs ADD COLUMN IF NOT EXISTS last_karma real"
oarnotify --remove-queue default
oarnotify --add-queue default,3,kamelot
oarnotify -e default

conf=/etc/oar/oar.conf
set_key() {  # key value: replace the line, else append it
    if grep -q "^$1=" "$conf"; then
        sed -i "s|^$1=.*|$1=\"$2\"|" "$conf"
    else
        echo "$1=\"$2\"" >>"$conf"
    fi
}
set_key HIERARCHY_LABELS resource_id,network_address,cpu,core
set_key META_SCHED_CMD kao
set_key METASCHEDULER_OAR3_WITH_OAR2 yes
systemctl restart oar-server
