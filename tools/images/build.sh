#!/usr/bin/env bash
# Builds the test images, for each Debian release given (default: 12 13):
#   oar3-test/debian-systemd:N  debootstrap'd Debian with systemd as PID 1
#   oar3-test/oar2-server:N     + Debian's OAR2 server, user tools, PostgreSQL
# An image is rebuilt only when its recipe (this directory, the release)
# changed: the recipe hash is kept in the image label oar3.recipe.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/../lib.sh"
require_root_debian
"$TOOLS_DIR/ensure-docker.sh"

IMAGES_DIR="$TOOLS_DIR/images"
BASE_INCLUDE=systemd,systemd-sysv,python3,dbus
OAR2_PACKAGES="oar-server oar-server-pgsql oar-user oar-user-pgsql postgresql procps sudo"

codename() {
    case "$1" in
        12) echo bookworm ;;
        13) echo trixie ;;
        *) die "unsupported Debian release '$1': use 12 or 13." ;;
    esac
}

recipe_of() { docker image inspect -f '{{ index .Config.Labels "oar3.recipe" }}' "$1" 2>/dev/null || true; }

hash_of() { sha256sum | cut -c1-16; }

build_base() {  # release tag key
    local rel=$1 tag=$2 key=$3 code root cache
    code=$(codename "$rel")
    root=$(mktemp -d /var/tmp/oar3-rootfs.XXXXXX)
    cache="$STATE_DIR/debootstrap/$code"
    mkdir -p "$cache"
    say "debootstrap $code into $root (about a minute)"
    if ! debootstrap --variant=minbase --include="$BASE_INCLUDE" --cache-dir="$cache" \
            "$code" "$root" "$DEBIAN_MIRROR" >"$root.log" 2>&1; then
        tail -n 15 "$root.log" >&2
        rm -rf "$root"
        die "debootstrap $code from $DEBIAN_MIRROR failed (log: $root.log): is Debian's archive reachable from this machine?"
    fi
    # Updates and security updates too, as on a real server.
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s-security %s-security main\n' \
        "$DEBIAN_MIRROR" "$code" "$DEBIAN_MIRROR" "$code" "$DEBIAN_MIRROR" "$code" >"$root/etc/apt/sources.list"
    # Each container must get its own machine id at boot.
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id"
    tar -C "$root" -c . | docker import \
        --change 'CMD ["/lib/systemd/systemd"]' \
        --change 'ENV container=docker' \
        --change "LABEL oar3.recipe=$key" \
        - "$tag" >/dev/null
    rm -rf "$root" "$root.log"
}

build_oar2() {  # release tag key base
    local rel=$1 tag=$2 key=$3 base=$4 name
    name="oar3-build-oar2-$rel"
    docker rm -f "$name" >/dev/null 2>&1 || true
    mkdir -p "$STATE_DIR/apt/$rel"
    say "installing OAR2 and PostgreSQL into $tag"
    if ! docker run --name "$name" \
            -v "$STATE_DIR/apt/$rel:/var/cache/apt/archives" \
            -v "$IMAGES_DIR/oar2:/build:ro" \
            -e OAR2_PACKAGES="$OAR2_PACKAGES" \
            "$base" /bin/bash /build/install.sh; then
        docker rm -f "$name" >/dev/null
        die "installing OAR2 into the Debian $rel image failed (output above)."
    fi
    docker commit \
        --change 'CMD ["/lib/systemd/systemd"]' \
        --change "LABEL oar3.recipe=$key" \
        "$name" "$tag" >/dev/null
    docker rm "$name" >/dev/null
}

releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(12 13)
for rel in "${releases[@]}"; do
    codename "$rel" >/dev/null
    base="oar3-test/debian-systemd:$rel"
    oar2="oar3-test/oar2-server:$rel"
    base_key=$(printf '%s %s %s %s' "$rel" "$BASE_INCLUDE" "$DEBIAN_MIRROR" "$(declare -f build_base)" | hash_of)
    oar2_key=$( { printf '%s %s %s' "$base_key" "$OAR2_PACKAGES" "$(declare -f build_oar2)"; cat "$IMAGES_DIR"/oar2/*; } | hash_of)
    if [ "$(recipe_of "$base")" = "$base_key" ]; then
        say "$base is up to date"
    else
        start=$SECONDS; build_base "$rel" "$base" "$base_key"; say "$base built in $((SECONDS - start)) s"
    fi
    if [ "$(recipe_of "$oar2")" = "$oar2_key" ]; then
        say "$oar2 is up to date"
    else
        start=$SECONDS; build_oar2 "$rel" "$oar2" "$oar2_key" "$base"; say "$oar2 built in $((SECONDS - start)) s"
    fi
done
# Images replaced by a rebuild are left untagged: drop them.
docker image prune -f --filter label=oar3.recipe >/dev/null
