# Shared helpers for the tools/ scripts. Sourced, never executed.
# shellcheck shell=bash

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Every script here changes the machine (apt, dockerd, images): refuse early
# and in plain words rather than failing half-way with a permission error.
require_root_debian() {
    [ "$(id -u)" = 0 ] || die "run this as root (it installs Debian packages and starts dockerd); you are $(id -un)."
    # OAR3_OS_RELEASE lets the tests of these scripts play another OS.
    local os_release=${OAR3_OS_RELEASE:-/etc/os-release}
    [ -r "$os_release" ] || die "$os_release is missing: this tool supports Debian 12 or 13 only."
    # shellcheck disable=SC1090
    . "$os_release"
    [ "${ID:-}" = debian ] || die "this tool supports Debian 12 or 13 only; this machine is ${PRETTY_NAME:-unknown}."
}

apt_updated=
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        apt-get update -qq || die "apt-get update failed: Debian's archive is not reachable from this machine."
        apt_updated=1
    fi
    say "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed."
}

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$TOOLS_DIR")
# State kept between runs on this machine (apt cache, venv): outside the
# clone so a fresh clone still reuses it.
STATE_DIR=${OAR3_STATE_DIR:-/var/cache/oar3-collection}
VENV_DIR=${OAR3_VENV:-$STATE_DIR/venv}
# The newest ansible-core's venv (tools/venv.sh newest).
NEWEST_VENV_DIR=${OAR3_NEWEST_VENV:-$STATE_DIR/venv-newest}

# A Python >= 3.MINOR: OAR3_PYTHON, else python3 or python3.N on PATH, else
# the newest of pyenv's versions (the machines here have pyenv beside Debian's).
find_python() {  # minor: prints its path
    local p
    for p in ${OAR3_PYTHON:-} python3 python3.14 python3.13 python3.12 \
        $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3 2>/dev/null | sort -rV); do
        p=$(command -v "$p") || continue
        "$p" -c "import sys; sys.exit(sys.version_info < (3, $1))" 2>/dev/null && { echo "$p"; return 0; }
    done
    return 1
}
DEBIAN_MIRROR=${OAR3_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The DB passwords in a container's oar.conf (none when it has no oar.conf),
# one per line: what no output of the tests may show.
db_passwords_of() {  # container
    docker exec "$1" sh -c '[ ! -f /etc/oar/oar.conf ] ||
        sed -n "s/^DB_BASE_PASSWD\(_RO\)\{0,1\}=\"\(.\{1,\}\)\"$/\2/p" /etc/oar/oar.conf'
}

# A containerised OAR2 server from the test image of Debian RELEASE, with the
# flags of .config/molecule/config.yml: systemd as PID 1 without --privileged,
# apt's downloads kept on this machine. Each container gets its own archives
# directory, as each real server has: apt locks that directory for a whole
# download, so servers sharing one would fail on its lock. It starts with hard
# links to the release's shared cache (the tests' downloads), never to its lock.
run_oar2_container() {  # name owner-label release [image]
    local cache="$STATE_DIR/apt/$3-$1"
    mkdir -p "$STATE_DIR/apt/$3" "$cache"
    find "$STATE_DIR/apt/$3" -maxdepth 1 -name '*.deb' -exec cp -ln -t "$cache" {} +
    docker run -d --name "$1" --hostname "$1" --label "owner=$2" \
        --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
        -v "$cache:/var/cache/apt/archives" --stop-signal SIGRTMIN+3 -e container=docker \
        "${4:-oar3-test/oar2-server}:$3" /lib/systemd/systemd >/dev/null
}

# The collection as users get it: built into DIR, installed under
# DIR/collections (first in ANSIBLE_COLLECTIONS_PATH, so no older copy that
# molecule left in ~/.ansible/collections is used).
install_collection() {  # dir
    export ANSIBLE_COLLECTIONS_PATH="$1/collections:$VENV_DIR/collections"
    ansible-galaxy collection build --force --output-path "$1" "$REPO_DIR" >/dev/null &&
        ansible-galaxy collection install --offline --force -p "$1/collections" "$1"/oar-oar3-*.tar.gz >/dev/null &&
        ansible-doc -l oar.oar3 >/dev/null
}

# Fresh containerised OAR2 servers (NAME:RELEASE ...) labelled owner=OWNER
# (any older ones removed), booted and serving OAR3 (molecule/shared/
# prepare.yml and serve_oar3.yml, which leaves its git bundle in
# $MOLECULE_EPHEMERAL_DIRECTORY), listed in DIR/inventory.yml with the
# variables VARS (YAML lines indented by 8) of group oar2_servers.
# NAME:RELEASE:builder is a build host instead (plain Debian, group
# oar3_builders, as examples/inventory.yml recommends): OAR3 is then
# served to it only.
start_oar2_servers() {  # dir owner vars name:release[:builder]...
    local dir=$1 owner=$2 vars=$3 server name hosts="" builders="" serve_to=oar2_servers
    shift 3
    docker ps -aq --filter label=owner="$owner" | xargs -r docker rm -f >/dev/null
    for server in "$@"; do
        name=${server%%:*}
        case "$server" in
            *:builder)
                server=${server%:builder}
                run_oar2_container "$name" "$owner" "${server##*:}" oar3-test/debian-systemd
                [ -n "$builders" ] || builders="    oar3_builders:"$'\n'"      hosts:"$'\n'
                builders+="        $name:"$'\n' serve_to=oar3_builders ;;
            *)
                run_oar2_container "$name" "$owner" "${server##*:}"
                hosts+="        $name:"$'\n' ;;
        esac
    done
    cat >"$dir/inventory.yml" <<INVENTORY
# Containers on this machine: see examples/inventory.yml for a real cluster.
all:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
    oar3_source_repo: /srv/oar3.git
  children:
    oar2_servers:
      hosts:
$hosts      vars:
$vars
$builders
INVENTORY
    # OAR2's own scheduler timing, not the tests' faster one.
    ansible-playbook -i "$dir/inventory.yml" -e oar2_test_rounds_every_second=false -e oar3_serve_to=$serve_to \
        "$REPO_DIR/molecule/shared/prepare.yml" "$REPO_DIR/molecule/shared/serve_oar3.yml" >"$dir/prepare.log" 2>&1 ||
        { tail -n 30 "$dir/prepare.log" >&2; die "preparing the servers failed (log: $dir/prepare.log)."; }
}
