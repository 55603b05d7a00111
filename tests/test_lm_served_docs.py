"""docs/serving.md quotes the measured agreement exactly as generated from its data file, and
the tolerances it states are the ones the real-server tests assert."""
import json
import re
from pathlib import Path

from simulations.lm.backends.agreement import markdown_table

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "serving.md").read_text()


def test_agreement_table_is_generated_from_the_data_file():
    record = json.loads((ROOT / "figures" / "data" / "served-agreement.json").read_text())
    assert markdown_table(record) in DOC


def test_stated_tolerances_are_the_tested_ones():
    tests = (ROOT / "tests" / "test_lm_served_llama.py").read_text()
    agree = float(re.search(r"^AGREE_TOL = ([0-9.]+)", tests, re.M).group(1))
    resume = float(re.search(r"^RESUME_TOL = ([0-9.]+)", tests, re.M).group(1))
    assert f"agreement within {agree:g} nats (max) and 0.1 nats (mean)" in DOC
    assert "(SINGLE_NEWLINE_FORMAT, AGREE_TOL, 0.1)" in tests
    assert f"its coherence within {resume:g} nat" in DOC


def test_vllm_command_line_has_prefix_caching_and_max_logprobs():
    cmd = re.search(r"^vllm serve .*?(?=^coherence)", DOC, re.M | re.S).group(0)
    assert "--enable-prefix-caching" in cmd and "--max-logprobs 20" in cmd
    smoke = (ROOT / "scripts" / "gpu_vllm_smoke.sh").read_text()
    assert "--enable-prefix-caching" in smoke and "--max-logprobs 20" in smoke
