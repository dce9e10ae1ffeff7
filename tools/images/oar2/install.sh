#!/bin/bash
# Runs inside the image-build container (no systemd there): installs OAR2
# and PostgreSQL, and the first-boot unit that creates the OAR database.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Services must not start during the build; systemd starts them at boot.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $OAR2_PACKAGES >/dev/null
rm -f /usr/sbin/policy-rc.d
install -m 0755 /build/firstboot.sh /usr/local/sbin/oar2-firstboot
install -m 0644 /build/oar2-firstboot.service /etc/systemd/system/oar2-firstboot.service
install -d /etc/systemd/system/oar-server.service.d
printf '[Unit]\nAfter=oar2-firstboot.service\nWants=oar2-firstboot.service\n' \
    >/etc/systemd/system/oar-server.service.d/firstboot.conf
ln -sf /etc/systemd/system/oar2-firstboot.service /etc/systemd/system/multi-user.target.wants/
# An ordinary user to submit jobs as.
useradd --create-home --shell /bin/bash oaruser
# Leave only the package lists out of the image; the archives live in the
# bind-mounted cache on the host.
rm -rf /var/lib/apt/lists/*
dpkg-query -W -f='${Package} ${Version}\n' oar-server postgresql
