# OAR3 stand-in (test fixture): packaged like upstream's setup.py.
import re

from setuptools import find_packages, setup

with open("oar/__init__.py", encoding="utf-8") as fd:
    version = re.search(r'^__version__\s*=\s*"([^"]*)"', fd.read(), re.M).group(1)

with open("requirements/base.txt", encoding="utf-8") as fd:
    requirements = fd.read().split()

setup(
    name="oar",
    version=version,
    description="OAR3 stand-in test fixture (not OAR3)",
    packages=find_packages(),
    install_requires=requirements,
    entry_points={
        "console_scripts": [
            "kamelot=oar.kao.kamelot:main",
            "kamelot-fifo=oar.kao.kamelot:main",
            "kao=oar.kao.kao:main",
        ]
    },
)
