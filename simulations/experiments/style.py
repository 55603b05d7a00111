"""How methods look in every figure: one label, colour (Okabe-Ito, colour-blind safe) and marker
per method."""
from __future__ import annotations

LABELS = {
    "exact": "exact coherence argmax",
    "zero-shot": "zero-shot",
    "golden": "golden labels (in context)",
    "bootstrap": "bootstrap",
    "gibbs": "Gibbs (tau = 1)",
    "annealed-gibbs": "annealed Gibbs",
    "icm": "ICM (released code)",
    "icm-paper": "ICM (paper)",
    "few-shot": "labels in context",
    "supervised": "supervised (labels + zero-shot)",
}

# Okabe-Ito palette (colour-blind safe), one fixed colour per method across all figures
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
COLOURS = {"exact": "#000000", "zero-shot": "#E69F00", "golden": "#999999", "bootstrap": "#009E73",
           "gibbs": "#0072B2", "annealed-gibbs": "#56B4E9", "icm": "#D55E00", "icm-paper": "#CC79A7",
           "few-shot": "#F0E442", "supervised": "#8C510A"}
MARKERS = {"exact": "o", "zero-shot": "s", "golden": "D", "bootstrap": "^", "gibbs": "v", "annealed-gibbs": "<",
           "icm": "P", "icm-paper": "X", "few-shot": "*", "supervised": "h"}
