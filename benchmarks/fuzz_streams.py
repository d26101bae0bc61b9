"""Long differential fuzzing campaigns of streams in hardware (tests/fuzz_streams.py): random
dataflow chains, the KPN interpreter against the default build and, optionally, Icarus and
Verilator (cocotb; one simulator build per sample, 10-60 s each).

    python benchmarks/fuzz_streams.py --minutes 10
    python benchmarks/fuzz_streams.py --samples 200 --targets amaranth,icarus,verilator
    python benchmarks/fuzz_streams.py --minutes 3 --seed 41   # the same samples on every run

Prints samples, deadlocks both sides agreed on, failures and samples per minute; each
failure (hypothesis's shrunk sample and the error) is written to build/fuzz-failures/.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import fuzz_streams as fs                                    # noqa: E402
from fuzz_campaign import arguments, campaign               # noqa: E402


def run_one(sample, work, targets, stats):
    r = fs.run_sample(sample, work, targets)
    stats["interpreter deadlocks"] += r["interpreter"] == "deadlock"
    stats["hardware deadlocks"] += "deadlock" in r["hardware"].values()


def main(argv=None):
    return campaign("streams", fs.samples(), run_one, arguments(__doc__, argv))


if __name__ == "__main__":
    sys.exit(main())
