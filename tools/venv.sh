#!/usr/bin/env bash
# Creates (or reuses) the controller venv with the pinned toolchain and the
# collections the tests need. Prints nothing when everything is in place.
# Re-installs only when requirements.txt or constraints.txt changed.
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

# The collections molecule's docker driver needs. No Galaxy server is
# reachable, so they come out of the 'ansible' package on PyPI (its last line
# for ansible-core 2.19), without installing its 54 MB.
ANSIBLE_BUNDLE=ansible==12.3.0
BUNDLED_COLLECTIONS="community/docker ansible/posix community/library_inventory_filtering_v1"

key=$( { cat "$REPO_DIR/requirements.txt" "$REPO_DIR/constraints.txt"; echo "$ANSIBLE_BUNDLE $BUNDLED_COLLECTIONS"; } | sha256sum | cut -c1-16)
[ -f "$VENV_DIR/.oar3-key" ] && [ "$(cat "$VENV_DIR/.oar3-key")" = "$key" ] && exit 0

command -v python3 >/dev/null || die "python3 is missing: install Debian's python3 and python3-venv."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python >= 3.11 is needed for ansible-core 2.19; found $(python3 --version 2>&1)."
# This machine's pip configuration names local indexes that may not exist;
# keep their warnings out of the output.
pip() { "$VENV_DIR/bin/pip" --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location '" >&2); }

say "creating the toolchain venv in $VENV_DIR"
rm -rf "$VENV_DIR"
python3 -m venv "$VENV_DIR" || die "python3 -m venv failed: install Debian's python3-venv."
pip install -q \
    -r "$REPO_DIR/requirements.txt" -c "$REPO_DIR/constraints.txt" \
    || die "pip install of requirements.txt failed: is PyPI reachable?"

say "extracting $BUNDLED_COLLECTIONS from $ANSIBLE_BUNDLE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download -q --no-deps -d "$tmp" "$ANSIBLE_BUNDLE" \
    || die "pip download $ANSIBLE_BUNDLE failed: is PyPI reachable?"
"$VENV_DIR/bin/python" - "$tmp"/ansible-*.whl "$VENV_DIR/collections" $BUNDLED_COLLECTIONS <<'PY' || die "extracting collections failed."
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
echo "$key" >"$VENV_DIR/.oar3-key"
