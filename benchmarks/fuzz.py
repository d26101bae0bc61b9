"""Long differential fuzzing campaigns: random kernels and schedules (tests/fuzz_kernels.py),
interpreter vs the default build and, optionally, Icarus and Verilator (cocotb).

    python benchmarks/fuzz.py --minutes 10
    python benchmarks/fuzz.py --minutes 30 --targets amaranth,icarus,verilator

Prints samples, refusals, disagreements and samples per minute per target set; each failing
sample (hypothesis-shrunk) is written to ``build/fuzz-failures/`` as a runnable kernel file.
"""
import argparse
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, seed, settings   # noqa: E402

import fuzz_kernels as fk                                  # noqa: E402

TARGET_NAMES = {"amaranth": None, "icarus": "icarus", "verilator": "verilator"}


def campaign(minutes: float, targets, first_seed: int, out: Path) -> dict:
    stats = {"samples": 0, "refused": 0, "failures": 0}
    deadline = time.monotonic() + minutes * 60
    work = ROOT / "build" / "fuzz-work"
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    s = first_seed
    while time.monotonic() < deadline:
        @seed(s)
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(fk.samples())
        def one(sample):
            if time.monotonic() > deadline:
                return
            stats["samples"] += 1
            if "refused" in fk.run_sample(sample, work, targets):
                stats["refused"] += 1

        try:
            one()
        except Exception:                     # hypothesis re-raises the shrunk failure
            stats["failures"] += 1
            (out / f"seed{s}.txt").write_text(traceback.format_exc())
            print(f"seed {s}: FAILURE (see {out / f'seed{s}.txt'})", flush=True)
        s += 1
        print(f"  {stats['samples']} samples, {stats['failures']} failures", flush=True)
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--targets", default="amaranth",
                    help="comma-separated: amaranth, icarus, verilator")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz-failures")
    args = ap.parse_args(argv)
    targets = tuple(TARGET_NAMES[t.strip()] for t in args.targets.split(","))
    t0 = time.monotonic()
    stats = campaign(args.minutes, targets, args.seed, args.out)
    minutes = (time.monotonic() - t0) / 60
    print(f"targets {args.targets}: {stats['samples']} samples in {minutes:.1f} min "
          f"({stats['samples'] / max(minutes, 1e-9):.0f}/min), {stats['refused']} refused "
          f"builds, {stats['failures']} failing seeds")
    return 1 if stats["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
