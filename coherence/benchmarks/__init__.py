"""One module per benchmark; the runner is :mod:`coherence.benchmarks.runner`, the command :mod:`coherence.bench`."""
