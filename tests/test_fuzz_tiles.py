"""A short fixed-seed differential fuzzing campaign of ``s.dataflow(loop)``
(tests/fuzz_tiles.py): random tile loops of 2-5 stages passing arrays (ping-pong copies,
chains updated in place), the reference on Python ints == the interpreter == the rewritten
module on the KPN interpreter == the default build; kernels of the documented class always
build, the others build right or are refused at the user's line.
Long campaigns, and Icarus/Verilator: ``python benchmarks/fuzz_tiles.py --minutes N``."""
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

import fuzz_tiles as ft

CAMPAIGN = 40           # samples (about 15 s on one core)


@seed(20261204)
@settings(max_examples=CAMPAIGN, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(ft.samples())
def test_random_tile_loops_agree_with_the_reference(tmp_path_factory, sample):
    ft.run_sample(sample, Path(tmp_path_factory.mktemp("fuzz_tiles", numbered=True)))
