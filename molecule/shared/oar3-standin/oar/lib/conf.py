"""oar.conf as OAR3 reads it, enough for the stand-in (test fixture)."""
import re

LINE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')


def load(path="/etc/oar/oar.conf"):
    conf = {}
    with open(path) as f:
        for line in f:
            match = LINE.match(line)
            if match:
                conf[match.group(1)] = match.group(2)
    return conf
