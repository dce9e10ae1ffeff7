# OAR3 3.0.2 needs SQLAlchemy 2: the real code imports Null, which
# SQLAlchemy 1.4 (Debian 12) lacks. make-repo.sh writes the 3.0.1 variant.
from sqlalchemy import Null  # noqa: F401
