#!/usr/bin/env bash
# Creates (or reuses) a controller venv with a pinned toolchain and the
# collections the tests need. Prints nothing when everything is in place.
# Re-installs only when its requirements or constraints changed.
#   bash tools/venv.sh          the toolchain (requirements.txt): ansible-core 2.19, Python >= 3.11
#   bash tools/venv.sh newest   the newest ansible-core (tools/newest/), Python >= 3.12
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
    "")
        venv=$VENV_DIR reqs=$REPO_DIR/requirements.txt cons=$REPO_DIR/constraints.txt minor=11
        # The collections molecule's docker driver needs. No Galaxy server is
        # reachable, so they come out of the 'ansible' package on PyPI (its last
        # line for ansible-core 2.19), without installing its 54 MB.
        bundle=ansible==12.3.0 ;;
    newest)
        venv=$NEWEST_VENV_DIR reqs=$TOOLS_DIR/newest/requirements.txt cons=$TOOLS_DIR/newest/constraints.txt minor=12
        bundle=ansible==14.5.0 ;;  # the line for ansible-core 2.21
    *) die "unknown argument '$1': use no argument or 'newest'." ;;
esac
BUNDLED_COLLECTIONS="community/docker ansible/posix community/library_inventory_filtering_v1"

key=$( { cat "$reqs" "$cons"; echo "$bundle $BUNDLED_COLLECTIONS"; } | sha256sum | cut -c1-16)
[ -f "$venv/.oar3-key" ] && [ "$(cat "$venv/.oar3-key")" = "$key" ] && exit 0

python=$(find_python "$minor") || die "Python >= 3.$minor is needed for $(grep -m1 '^ansible-core' "$reqs") and none was found (python3, python3.N on PATH, pyenv's versions): install one, or set OAR3_PYTHON to its path."
# The newest venv also serves the unprivileged controller user of the tests
# (tools/test.sh): a Python it cannot run (pyenv's, under root's 0700 home) is
# copied into the state directory first, its libpython found beside it.
if [ "${1:-}" = newest ] && ! runuser -u nobody -- "$python" -c '' 2>/dev/null; then
    prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
    copy="$STATE_DIR/python/$(basename "$prefix")"
    if [ ! -x "$copy/bin/python3" ]; then
        say "copying $prefix to $copy, for users other than root"
        apt_install patchelf
        rm -rf "$copy" "$copy.tmp" && mkdir -p "$STATE_DIR/python" && cp -a "$prefix" "$copy.tmp"
        exe=$(readlink -f "$copy.tmp/bin/$(basename "$(readlink -f "$python")")")
        # shellcheck disable=SC2016  # $ORIGIN is the loader's, not the shell's
        patchelf --set-rpath '$ORIGIN/../lib' "$exe"
        chmod -R go+rX "$copy.tmp" && mv "$copy.tmp" "$copy"
    fi
    python=$copy/bin/python3
    runuser -u nobody -- "$python" -c '' || die "$python cannot be run by other users."
fi
# This machine's pip configuration names local indexes that may not exist;
# keep their warnings out of the output.
pip() { "$venv/bin/pip" --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location '" >&2); }

say "creating the venv $venv with $python ($("$python" --version 2>&1))"
rm -rf "$venv"
"$python" -m venv "$venv" || die "$python -m venv failed: install Debian's python3-venv."
pip install -q -r "$reqs" -c "$cons" || die "pip install of $reqs failed: is PyPI reachable?"

say "extracting $BUNDLED_COLLECTIONS from $bundle"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download -q --no-deps -d "$tmp" "$bundle" || die "pip download $bundle failed: is PyPI reachable?"
"$venv/bin/python" - "$tmp"/ansible-*.whl "$venv/collections" $BUNDLED_COLLECTIONS <<'PY' || die "extracting collections failed."
import sys, zipfile
wheel, dest, *collections = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for c in collections:
        members = [n for n in names if n.startswith(f"ansible_collections/{c}/")]
        if not members:
            sys.exit(f"{wheel} has no collection {c}")
        z.extractall(dest, members)
PY
echo "$key" >"$venv/.oar3-key"
