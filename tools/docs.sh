#!/usr/bin/env bash
# Builds the collection's HTML docs site (its modules, its roles from
# meta/argument_specs.yml, and docs/docsite/: the playbooks) with antsibull-docs
# and Sphinx, from the collection as users get it (built, then installed into
# a scratch path), and fails on any warning. Then checks that the pages really
# render: headless Chromium screenshots of a module page and of a role page,
# read back by OCR (tools/tests/test_docs_site.py).
#   bash tools/docs.sh [--no-check] [OUTDIR]
# OUTDIR (default /var/cache/oar3-collection/docs) gets the site: open
# OUTDIR/index.html. It must be empty, missing, or an earlier site.
# Offline: nothing is fetched but Debian packages (chromium, tesseract-ocr) and
# the pinned toolchain (tools/venv.sh).
set -euo pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"
require_root_debian

check=1
out=
for arg in "$@"; do
    case $arg in
        --no-check) check=0 ;;
        -*) die "unknown argument '$arg' (usage: tools/docs.sh [--no-check] [OUTDIR])." ;;
        *) [ -z "$out" ] || die "give one OUTDIR (usage: tools/docs.sh [--no-check] [OUTDIR])."
           out=$arg ;;
    esac
done
out=$(realpath -m "${out:-$STATE_DIR/docs}")
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.buildinfo" ]; then
    die "$out is not empty and holds no docs site: give an empty or new OUTDIR."
fi

"$TOOLS_DIR/venv.sh"
start=$SECONDS
export PATH="$VENV_DIR/bin:$PATH"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 NO_COLOR=1

tmp=$(mktemp -d /var/tmp/oar3-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
say "building and installing the collection"
install_collection "$tmp" || die "building or installing the collection failed."
collection="$tmp/collections/ansible_collections/oar/oar3"

# antsibull-docs prints nothing but its progress (lines matching PROGRESS)
# when all is well: any other line (a warning, an error) fails the build, as
# Sphinx's -W does for Sphinx's.
quiet() {  # what progress-regex command...
    local what=$1 progress=${2:-^$} log="$tmp/log" rc=0
    shift 2
    "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || grep -v -E -q "$progress" "$log"; then
        cat "$log" >&2
        die "$what: failed (exit value $rc) or warned (output above)."
    fi
}

say "linting the docs (antsibull-docs lint-collection-docs)"
# It reads galaxy.yml, so the source tree; the build below reads the installed copy.
quiet "antsibull-docs lint-collection-docs" "" \
    antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs "$REPO_DIR"

say "generating the site's RST (antsibull-docs sphinx-init, collection)"
site="$tmp/sphinx"
mkdir -m 755 "$site"  # antsibull-docs wants its directories writable by their owner only
quiet "antsibull-docs sphinx-init" '^(Writing .*\.\.\.|To build the docsite, .*|    pip install .*|    \./build\.sh)$' \
    antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" \
    --project oar.oar3 --copyright "oar.oar3 developers" --title "oar.oar3" oar.oar3
# No internet here: Sphinx gets a local inventory of the only labels of
# ansible-core's docs the pages link to (e.g. common_return_values), so those
# links still go to docs.ansible.com and nothing is fetched. The top bar links
# to the collection's repository and issues instead of the theme's ansible.com.
"$VENV_DIR/bin/python" - "$collection/MANIFEST.json" "$site" <<'PY'
import json, sys, zlib
manifest, site = sys.argv[1:]
info = json.load(open(manifest))["collection_info"]
labels = [
    ("action_plugins", "plugins/action.html#action-plugins", "Action plugins"),
    ("ansible_configuration_settings", "reference_appendices/config.html#ansible-configuration-settings",
     "Ansible Configuration Settings"),
    ("common_return_values", "reference_appendices/common_return_values.html#common-return-values",
     "Return Values"),
]
body = "".join(f"{name} std:label -1 {uri} {title}\n" for name, uri, title in labels)
with open(f"{site}/ansible_devel.inv", "wb") as f:
    f.write(b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
            b"# The remainder of this file is compressed using zlib.\n")
    f.write(zlib.compress(body.encode()))
with open(f"{site}/conf.py", "a") as f:
    f.write(f"""
# Added by tools/docs.sh.
intersphinx_mapping = {{
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', {site + '/ansible_devel.inv'!r}),
}}
html_theme_options = {{
    'topbar_links': {{'Repository': {info['repository']!r}, 'Issues': {info['issues']!r}}},
    'documentation_home_url': {info['documentation']!r},
}}
""")
PY
chmod og-w "$site/rst"
quiet "antsibull-docs collection" "" \
    antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --use-current --squash-hierarchy \
    --fail-on-error --cleanup everything --dest-dir "$site/rst" oar.oar3

say "building the HTML site (sphinx-build -W)"
sphinx-build -q -W --keep-going -E -b html -d "$tmp/doctrees" -c "$site" "$site/rst" "$tmp/html" \
    || die "sphinx-build failed or warned (output above)."
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp/html" "$out"
say "site built in $((SECONDS - start)) s: $out/index.html"

[ "$check" = 1 ] || exit 0
say "checking the rendered pages (headless Chromium, OCR)"
apt_install chromium tesseract-ocr fonts-dejavu-core
start=$SECONDS
OAR3_DOCS_SITE=$out pytest -q -p no:cacheprovider "$TOOLS_DIR/tests/test_docs_site.py" \
    || die "the docs site does not render as it must (output above)."
say "pages checked in $((SECONDS - start)) s"
