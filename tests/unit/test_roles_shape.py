# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roles and playbooks orchestrate; logic lives in Python. These checks fail
when a Jinja statement, a long logic expression or a swollen task list comes
back into the YAML."""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Issue 18's bounds: 159 role tasks and 18 Jinja statements before the move.
MAX_ROLE_TASKS = 70
MAX_EXPRESSION = 120
MAX_MAIN_TASKS = 6
RAW_KEYS = ("when", "that", "changed_when", "failed_when", "until", "loop")
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _files(*patterns):
    found = sorted(f for p in patterns for f in glob.glob(os.path.join(COLLECTION_ROOT, p)))
    assert found, patterns
    return found


TASK_FILES = _files("roles/*/tasks/*.yml")
YAML_FILES = TASK_FILES + _files("playbooks/*.yml", "playbooks/tasks/*.yml")


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def _tasks(node):
    """Every task (not a block) in a task list, blocks walked into."""
    for item in node or []:
        if not isinstance(item, dict):
            continue
        if "block" in item:
            for part in ("block", "rescue", "always"):
                yield from _tasks(item.get(part))
        else:
            yield item


def _templated(node, key=None):
    """(where, text) of every string the templar sees; raw conditionals as expressions."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _templated(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _templated(v, key)
    elif isinstance(node, str):
        yield key, ("{{ %s }}" % node if key in RAW_KEYS and "{{" not in node else node)


def _problems(text):
    if "{%" in text:
        yield "Jinja statement: %s" % text[:60]
    for m in EXPRESSION.finditer(text):
        expr = " ".join(m.group(1).split())
        if len(expr) > MAX_EXPRESSION:
            yield "expression of %d characters: %s..." % (len(expr), expr[:60])


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: os.path.relpath(p, COLLECTION_ROOT))
def test_no_jinja_program(path):
    found = [p for _key, text in _templated(_load(path)) for p in _problems(text)]
    assert not found, found


def test_the_checks_can_fail():
    assert list(_problems("{% if a %}x{% endif %}"))
    assert list(_problems("{{ %s }}" % " or ".join(["x"] * 40)))
    assert not list(_problems("{{ a | b }}"))
    assert [k for k, t in _templated({"when": "a " * 70}) if list(_problems(t))] == ["when"]
    assert len(list(_tasks([{"block": [{"name": "a"}], "rescue": [{"name": "b"}, {"block": [{"name": "c"}]}]}]))) == 3


def test_role_tasks_are_few():
    counts = {os.path.relpath(f, COLLECTION_ROOT): len(list(_tasks(_load(f)))) for f in TASK_FILES}
    assert sum(counts.values()) <= MAX_ROLE_TASKS, counts


@pytest.mark.parametrize("path", [f for f in TASK_FILES if f.endswith("/main.yml")],
                         ids=lambda p: os.path.relpath(p, COLLECTION_ROOT))
def test_main_reads_at_a_glance(path):
    assert len(list(_tasks(_load(path)))) <= MAX_MAIN_TASKS
