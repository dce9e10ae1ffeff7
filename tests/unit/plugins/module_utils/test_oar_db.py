# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.oar.oar3.plugins.module_utils._db import OarDbError, missing, validate


@pytest.mark.parametrize("table", ["jobs", "resources", "gantt_jobs_predictions", "t" * 63])
def test_valid_tables(table):
    validate(table, [])


@pytest.mark.parametrize("table", ["", "Jobs", "jobs;drop table jobs", "1jobs", "t" * 64, "jobs ", '"jobs"', None, 3])
def test_refused_tables(table):
    with pytest.raises(OarDbError, match="table .* is not allowed"):
        validate(table, [])


@pytest.mark.parametrize("column, message", [
    ({"name": "last karma", "type": "real"}, "column 'last karma' is not allowed"),
    ({"name": "x", "type": "real; drop table jobs"}, "type 'real; drop table jobs' is not one of real,"),
    ({"name": "x", "type": "REAL"}, "type 'REAL' is not one of"),
    ({"name": "x"}, "type None is not one of"),
])
def test_refused_columns(column, message):
    with pytest.raises(OarDbError, match=message.replace("(", r"\(")):
        validate("jobs", [column])


def test_refuses_a_column_twice():
    with pytest.raises(OarDbError, match="listed twice"):
        validate("jobs", [{"name": "a", "type": "real"}, {"name": "a", "type": "integer"}])


def test_missing_keeps_order_and_skips_present():
    ensure = [{"name": "b", "type": "real"}, {"name": "a", "type": "real"}, {"name": "c", "type": "text"}]
    assert missing(["a", "x"], ensure) == [ensure[0], ensure[2]]
    assert missing(["a", "b", "c"], ensure) == []
