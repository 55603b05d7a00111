"""Command-line front end of the coherence toolkit (``coherence check|bench|figures|explore|lm|all``).

The mathematics lives in :mod:`theory`, the searches and experiments in :mod:`simulations`, the
claim checks in :mod:`proofs_check`; this package only wires them to the console script.
"""
from importlib import metadata as _md

try:
    __version__ = _md.version("coherence-toolkit")
except _md.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0+src"
