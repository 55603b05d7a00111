"""Command-line front end of the coherence toolkit (``coherence check|bench|figures|explore|lm|all``).

The mathematics lives in :mod:`theory`, the searches and experiments in :mod:`simulations`, the
claim checks in :mod:`proofs_check`; this package only wires them to the console script.
"""
from theory.version import __version__

__all__ = ["__version__"]
