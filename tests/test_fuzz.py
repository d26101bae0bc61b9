"""A short fixed-seed differential fuzzing campaign (tests/fuzz_kernels.py): random kernels and
schedules, interpreter == hardware (Amaranth) with the report's latency == measured cycles.
Long campaigns, and Icarus/Verilator: ``python benchmarks/fuzz.py --minutes N``."""
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

import fuzz_kernels as fk

CAMPAIGN = 120          # samples (about a minute on one core)


@seed(20261201)
@settings(max_examples=CAMPAIGN, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(fk.samples())
def test_random_kernels_agree_with_the_interpreter(tmp_path_factory, sample):
    fk.run_sample(sample, Path(tmp_path_factory.mktemp("fuzz", numbered=True)))
