#!/bin/bash
# Turn the OAR3 stand-in tree (test fixture) into a bare git repository
# shaped like upstream's: tags 3.0.1 and 3.0.2 on master and a development
# commit after them (3.0.3dev), packaging branch
# debian/3.0 with "Releasing 3.0.1-1" and "Releasing 3.0.2-1".
set -euo pipefail
dest=${1:?usage: make-repo.sh DEST.git}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@localhost
export GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@localhost
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
g() { git -C "$work" -c init.defaultBranch=master -c commit.gpgsign=false "$@"; }

set_version() {
    printf '__version__ = "%s"\n' "$1" >"$work/oar/__init__.py"
    if [ "$1" = 3.0.1 ]; then
        printf '%s\n' '# OAR3 3.0.1 runs on SQLAlchemy 1.4 (Debian 12).' \
            'from sqlalchemy.orm import Session  # noqa: F401' >"$work/oar/lib/compat.py"
    else
        cp "$here/oar/lib/compat.py" "$work/oar/lib/compat.py"
    fi
}

changelog() {
    cat >"$work/debian/changelog" <<CHANGELOG
oar3 ($1) unstable; urgency=low

  * Stand-in release $1 (test fixture).

 -- oar.oar3 test fixture <root@localhost>  Thu, 01 Jan 2026 00:00:00 +0000
CHANGELOG
}

g init -q
(cd "$here" && tar --exclude=./debian --exclude=./make-repo.sh -cf - .) | tar -xf - -C "$work"
for v in 3.0.1 3.0.2; do
    set_version "$v"
    g add -A && g commit -qm "Bump version to $v" && g tag "$v"
done
# master goes on after the last release, as upstream's (3.0.3dev since 3.0.2).
set_version 3.0.3dev
g add -A && g commit -qm "Bump version to 3.0.3dev"

g checkout -q -b debian/3.0 3.0.1
cp -a "$here/debian" "$work/debian"
changelog 3.0.1-1
g add -A && g commit -qm "Releasing 3.0.1-1"
set_version 3.0.2
changelog 3.0.2-1
g add -A && g commit -qm "Releasing 3.0.2-1"
g checkout -q master

rm -rf "$dest"
git clone -q --bare "$work" "$dest"
