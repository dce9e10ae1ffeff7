"""Every Python plugin starts with the collection's one header, naming the
license file that ships (LICENSE), and modules with the interpreter line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

import pytest

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = ("# -*- coding: utf-8 -*-\n"
          "# Copyright (c) oar.oar3 contributors\n"
          "# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)\n")
PLUGINS = sorted(glob.glob(os.path.join(COLLECTION_ROOT, "plugins", "*", "*.py")))


def test_the_license_file_named_in_the_header_ships():
    assert os.path.isfile(os.path.join(COLLECTION_ROOT, "LICENSE"))
    assert len(PLUGINS) > 20, PLUGINS


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: os.path.relpath(p, COLLECTION_ROOT))
def test_plugin_header(path):
    with open(path) as f:
        text = f.read()
    if "/plugins/modules/" in path:
        assert text.startswith("#!/usr/bin/python\n"), path
        text = text[len("#!/usr/bin/python\n"):]
    assert text.startswith(HEADER), path
