"""The loop of a long fuzzing campaign, shared by benchmarks/fuzz_streams.py and
benchmarks/fuzz_tiles.py: rounds of 25 hypothesis samples, one seed per round (so the round
that failed can be rerun exactly), until the minutes or samples run out; each failure
(hypothesis's shrunk sample and the error) written to build/fuzz-failures/."""
import argparse
import collections
import os
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"amaranth": None, "icarus": "icarus", "verilator": "verilator"}


def arguments(doc: str, argv=None):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--targets", default="amaranth")
    ap.add_argument("--seed", type=int, default=1,
                    help="first hypothesis seed (each round of 25 samples takes the next one), "
                         "so a campaign, or the round that failed, can be rerun exactly")
    return ap.parse_args(argv)


def campaign(name: str, strategy, run_one, args) -> int:
    """Runs ``run_one(sample, workdir, targets, stats)`` on samples of ``strategy``; prints
    the counts after each round and a summary; 1 when anything failed."""
    targets = tuple(TARGETS[t] for t in args.targets.split(","))
    deadline = time.monotonic() + 60 * (args.minutes if args.minutes else 10 ** 6)
    limit = args.samples or (10 ** 9 if args.minutes else 100)
    work = ROOT / "build" / f"fuzz-{name}-{os.getpid()}"
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
        @given(strategy)
        def one(sample):
            if time.monotonic() > deadline or stats["samples"] >= limit:
                return
            stats["samples"] += 1
            run_one(sample, work, targets, stats)
        try:
            one()
        except Exception:                     # hypothesis re-raises the shrunk failure
            stats["failures"] += 1
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{name}-seed{s}.txt").write_text(traceback.format_exc())
            print(f"seed {s}: FAILURE (see {out / f'{name}-seed{s}.txt'})", flush=True)
        print(f"  seed {s}: {dict(stats)}", flush=True)
    minutes = (time.monotonic() - t0) / 60
    print(f"{stats['samples']} samples in {minutes:.1f} min on {args.targets}, seeds "
          f"{args.seed}..{s} "
          f"({stats['samples'] / max(minutes, 1e-9):.0f}/min): {dict(stats)}")
    return 1 if stats["failures"] else 0
