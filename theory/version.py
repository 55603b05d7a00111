"""The toolkit's version, in the lowest package so that every layer may read it (figures and
tables record it) without importing the command line above it."""
from importlib import metadata as _md

try:
    __version__ = _md.version("coherence-toolkit")
except _md.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0+src"
