"""Long differential fuzzing campaigns of streams in hardware (tests/fuzz_streams.py): random
dataflow chains, the KPN interpreter against the default build and, optionally, Icarus and
Verilator (cocotb; one simulator build per sample, 10-60 s each).

    python benchmarks/fuzz_streams.py --minutes 10
    python benchmarks/fuzz_streams.py --samples 200 --targets amaranth,icarus,verilator
    python benchmarks/fuzz_streams.py --minutes 3 --seed 41   # the same samples on every run

Prints samples, deadlocks both sides agreed on, failures and samples per minute; each
failure (hypothesis's shrunk sample and the error) is written to build/fuzz-failures/.
"""
import argparse
import collections
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, seed, settings   # noqa: E402

import fuzz_streams as fs                                    # noqa: E402

TARGETS = {"amaranth": None, "icarus": "icarus", "verilator": "verilator"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--targets", default="amaranth")
    ap.add_argument("--seed", type=int, default=1,
                    help="first hypothesis seed (each round of 25 samples takes the next one), "
                         "so a campaign, or the round that failed, can be rerun exactly")
    args = ap.parse_args(argv)
    targets = tuple(TARGETS[t] for t in args.targets.split(","))
    deadline = time.monotonic() + 60 * (args.minutes if args.minutes else 10 ** 6)
    limit = args.samples or (10 ** 9 if args.minutes else 100)
    work = ROOT / "build" / f"fuzz-streams-{os.getpid()}"
    out = ROOT / "build" / "fuzz-failures"
    work.mkdir(parents=True, exist_ok=True)
    stats = collections.Counter()
    t0 = time.monotonic()
    s = args.seed - 1
    while time.monotonic() < deadline and stats["samples"] < limit:
        s += 1

        @seed(s)
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(fs.samples())
        def one(sample):
            if time.monotonic() > deadline or stats["samples"] >= limit:
                return
            stats["samples"] += 1
            r = fs.run_sample(sample, work, targets)
            stats["interpreter deadlocks"] += r["interpreter"] == "deadlock"
            stats["hardware deadlocks"] += "deadlock" in r["hardware"].values()
        try:
            one()
        except Exception:                     # hypothesis re-raises the shrunk failure
            stats["failures"] += 1
            out.mkdir(parents=True, exist_ok=True)
            (out / f"streams-seed{s}.txt").write_text(traceback.format_exc())
            print(f"seed {s}: FAILURE (see {out / f'streams-seed{s}.txt'})", flush=True)
        print(f"  seed {s}: {dict(stats)}", flush=True)
    minutes = (time.monotonic() - t0) / 60
    print(f"{stats['samples']} samples in {minutes:.1f} min on {args.targets}, seeds "
          f"{args.seed}..{s} "
          f"({stats['samples'] / max(minutes, 1e-9):.0f}/min): {dict(stats)}")
    return 1 if stats["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
