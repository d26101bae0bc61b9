"""A short fixed-seed differential fuzzing campaign of streams in hardware
(tests/fuzz_streams.py): random dataflow chains, the KPN interpreter == the default build
(outputs, or a deadlock the interpreter also reports), under random external stalls too.
Long campaigns, and Icarus/Verilator: ``python benchmarks/fuzz_streams.py --minutes N``."""
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

import fuzz_streams as fs

CAMPAIGN = 40           # samples (about a minute on one core)


@seed(20261202)
@settings(max_examples=CAMPAIGN, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(fs.samples())
def test_random_dataflow_regions_agree_with_the_interpreter(tmp_path_factory, sample):
    fs.run_sample(sample, Path(tmp_path_factory.mktemp("fuzz_streams", numbered=True)))
