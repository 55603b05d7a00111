"""The lm-rows benchmark times what it says: both sides give the same log-probs, and the padded
batch computes at least the side-by-side pass's tokens (its padding on top)."""
from __future__ import annotations

from coherence.benchmarks import lm_rows
from coherence.benchmarks.runner import make_row


def test_both_sides_agree_and_the_row_is_whole():
    m = lm_rows.measure("tiny-random", chunks=2, repeat=1)
    assert m["max_abs_nats"] < 1e-5
    assert m["padded_tokens"] >= m["side_by_side_tokens"] > 0
    assert m["prompt_tokens"] > 64
    row = make_row(lm_rows.NAME, lm_rows, {"ours": m["side_by_side_seconds"], "baseline": m["padded_seconds"],
                                            "baseline_is": "padded", "why": "tiny model",
                                            "params": {"models": {"tiny-random": m}}})
    assert "tiny-random: " in lm_rows.report(row) and "x; log-probs differ by at most" in lm_rows.report(row)
