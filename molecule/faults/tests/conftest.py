import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from oartest import pytest_collection_modifyitems  # noqa: E402,F401  (honours testinfra_hosts)
