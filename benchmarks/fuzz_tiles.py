"""Long differential fuzzing campaigns of ``s.dataflow(loop)`` (tests/fuzz_tiles.py): random
tile loops of 2-5 stages passing arrays, the reference on Python ints against the
interpreter, the rewritten module on the KPN interpreter and the default build and,
optionally, Icarus and Verilator (cocotb; one simulator build per sample, 10-60 s each).

    python benchmarks/fuzz_tiles.py --minutes 10
    python benchmarks/fuzz_tiles.py --samples 50 --targets amaranth,icarus,verilator
    python benchmarks/fuzz_tiles.py --minutes 3 --seed 41   # the same samples on every run

Prints samples, refusals (only of kernels outside the documented class), failures and
samples per minute; each failure is written to build/fuzz-failures/.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import fuzz_tiles as ft                                      # noqa: E402
from fuzz_campaign import arguments, campaign               # noqa: E402


def run_one(sample, work, targets, stats):
    r = ft.run_sample(sample, work, targets)
    stats[r["outcome"]] += 1
    stats["stages"] += len(sample.stages)


def main(argv=None):
    return campaign("tiles", ft.samples(), run_one, arguments(__doc__, argv))


if __name__ == "__main__":
    sys.exit(main())
