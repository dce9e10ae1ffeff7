# Copyright (c) oar.oar3 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make the collection importable as ansible_collections.oar.oar3 under plain pytest.

ansible-test units runs from an ansible_collections/oar/oar3 tree and needs
nothing; `pytest tests/unit` from a checkout gets a temporary
ansible_collections/oar/oar3 symbolic link to the checkout.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

import pytest

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collections_dir():
    parts = COLLECTION_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'oar'] and parts[-1] == 'oar3':
        return os.sep.join(parts[:-3])
    shim = tempfile.mkdtemp(prefix='oar3-unit-')
    atexit.register(shutil.rmtree, shim, True)
    os.makedirs(os.path.join(shim, 'ansible_collections', 'oar'))
    os.symlink(COLLECTION_ROOT, os.path.join(shim, 'ansible_collections', 'oar', 'oar3'))
    return shim


COLLECTIONS_DIR = _collections_dir()
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)


@pytest.fixture
def collections_dir():
    """A directory holding ansible_collections/oar/oar3, for subprocesses' PYTHONPATH."""
    return COLLECTIONS_DIR


@pytest.fixture
def stock_conf():
    """Read OAR2's stock oar.conf of a Debian release ('deb12' or 'deb13') as bytes."""
    directory = os.environ.get('OAR3_STOCK_CONF_DIR')
    if not directory:
        pytest.skip('OAR3_STOCK_CONF_DIR is unset: it must name a directory holding oar.conf.deb12 and '
                    'oar.conf.deb13 (tools/test.sh extracts them from the test images)')

    def read(release):
        with open(os.path.join(directory, 'oar.conf.' + release), 'rb') as f:
            return f.read()
    return read
