#!/usr/bin/env bash
# Usage: tools/oar_conf_pm.sh DEST
#
# Puts OAR2's real configuration reader, OAR/Conf.pm, under DEST for the
# unit tests that compare oar_conf's writes with it, and prints the
# directory to give them as OAR3_PERL_LIB_DIR:
#
#   export OAR3_PERL_LIB_DIR=$(tools/oar_conf_pm.sh /some/dir)
#
# Conf.pm is in Debian's liboar-perl package. The package is downloaded
# with apt-get from the archive this machine's apt uses (Debian 12 gives
# OAR2 2.5.9) and unpacked with dpkg-deb, never installed. Reruns reuse
# what is there. Needs no root when DEST is writable.
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DEST"
for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool is needed (a Debian machine)."
done
mkdir -p "$1"
dest=$(cd "$1" && pwd)
lib="$dest/usr/share/perl5"

if [ ! -f "$lib/OAR/Conf.pm" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"  # apt's _apt user downloads into it when run as root
    (cd "$tmp" && apt-get download -q liboar-perl >/dev/null 2>"$tmp/apt.err") \
        || die "apt-get download liboar-perl failed: $(grep -v '^W:' "$tmp/apt.err" | tail -n 3)"
    deb=$(ls "$tmp"/liboar-perl_*.deb)
    dpkg-deb -x "$deb" "$dest" || die "dpkg-deb -x $deb failed."
    dpkg-deb -f "$deb" Version >"$dest/liboar-perl.version"
    [ -f "$lib/OAR/Conf.pm" ] || die "$deb has no usr/share/perl5/OAR/Conf.pm."
fi
printf '%s\n' "$lib"
