"""One module per benchmark; see :mod:`coherence.bench`."""
