"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test bootstraps pip into each sanity-test venv with a get-pip.py
script fetched from a host this machine cannot reach; it runs whatever it
finds in its cache instead. This stand-in uses the interpreter's own
ensurepip, then installs the pinned pip and packages it was asked for from
PyPI, which is reachable.
"""

import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args])
