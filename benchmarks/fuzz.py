"""Long differential fuzzing campaigns: random kernels and schedules (tests/fuzz_kernels.py),
interpreter vs the default build and, optionally, Icarus and Verilator (cocotb).

    python benchmarks/fuzz.py --minutes 10
    python benchmarks/fuzz.py --samples 2000
    python benchmarks/fuzz.py --minutes 30 --targets amaranth,icarus,verilator --batch 40

Every sample runs alone on the interpreter and the default build (hypothesis shrinks a
failure there). A simulator build takes 10-60 s, so for Icarus and Verilator the samples that
passed are batched: ``--batch`` of them become one design (a top kernel calling each sample's
kernel with the primitives that applied to it), run on the interpreter, the default build and
the simulator; results and cycle counts must agree. A failing batch is bisected to the
samples that fail alone on that simulator. Prints samples, refusals, disagreements and
samples per minute per target; each failure is written to ``build/fuzz-failures/``.
"""
import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, seed, settings   # noqa: E402

import fuzz_kernels as fk                                  # noqa: E402

SIMULATORS = ("icarus", "verilator")


class Campaign:
    def __init__(self, simulators, batch_size: int, out: Path):
        self.simulators, self.batch_size, self.out = simulators, batch_size, out
        self.work = ROOT / "build" / f"fuzz-work-{os.getpid()}"    # campaigns may run side by side
        self.work.mkdir(parents=True, exist_ok=True)
        out.mkdir(parents=True, exist_ok=True)
        self.stats = {"samples": 0, "refused": 0, "failures": 0,
                      **{f"{s}_samples": 0 for s in simulators},
                      **{f"{s}_batches": 0 for s in simulators},
                      **{f"{s}_failures": 0 for s in simulators}}
        self.seconds = {"amaranth": 0.0, **{s: 0.0 for s in simulators}}
        self.pending: list = []         # (sample, applied primitives) waiting for a batch

    def default_build(self, s: int, deadline: float, limit: int):
        """One hypothesis run (25 examples) on the interpreter and the default build."""
        @seed(s)
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(fk.samples())
        def one(sample):
            if time.monotonic() > deadline or self.stats["samples"] >= limit:
                return
            self.stats["samples"] += 1
            result = fk.run_sample(sample, self.work, (None,))
            if "refused" in result:
                self.stats["refused"] += 1
            elif self.simulators:
                self.pending.append((sample, result["applied"]))

        t0 = time.monotonic()
        try:
            one()
        except Exception:                     # hypothesis re-raises the shrunk failure
            self.stats["failures"] += 1
            (self.out / f"seed{s}.txt").write_text(traceback.format_exc())
            print(f"seed {s}: FAILURE (see {self.out / f'seed{s}.txt'})", flush=True)
            self.pending.clear()              # the shrunk sample is not among them
        self.seconds["amaranth"] += time.monotonic() - t0

    def run_batches(self, final: bool = False):
        while len(self.pending) >= self.batch_size or (final and self.pending):
            group, self.pending = self.pending[:self.batch_size], self.pending[self.batch_size:]
            for sim in self.simulators:
                self.run_batch(group, sim)

    def run_batch(self, group, sim: str):
        t0 = time.monotonic()
        samples, schedules = [g[0] for g in group], [g[1] for g in group]
        k = self.stats[f"{sim}_batches"]
        try:
            result = fk.run_batch(samples, schedules, self.work, (None, sim))
            assert "refused" not in result, f"batch refused although each sample built: {result}"
            self.stats[f"{sim}_samples"] += len(group)
        except Exception:
            self.stats[f"{sim}_failures"] += 1
            path = self.out / f"{sim}-batch{k}.txt"
            path.write_text(traceback.format_exc() + "\n" +
                            fk.batch(samples, schedules).source + "\n" + self.bisect(group, sim))
            print(f"{sim} batch {k}: FAILURE (see {path})", flush=True)
        self.stats[f"{sim}_batches"] += 1
        self.seconds[sim] += time.monotonic() - t0
        print(f"  {sim}: {self.stats[f'{sim}_samples']} samples in "
              f"{self.stats[f'{sim}_batches']} batches, "
              f"{self.stats[f'{sim}_failures']} failing batches", flush=True)

    def bisect(self, group, sim: str) -> str:
        """The samples of a failing batch that fail alone on ``sim`` (source and error)."""
        report = []
        for sample, _ in group:
            try:
                fk.run_sample(sample, self.work, (None, sim))
            except Exception:
                report += ["# --- fails alone:", sample.source, traceback.format_exc()]
        return "\n".join(report) or "# no sample fails alone: the batch itself disagrees"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--samples", type=int, default=None, help="stop after this many samples")
    ap.add_argument("--targets", default="amaranth",
                    help="comma-separated: amaranth, icarus, verilator")
    ap.add_argument("--batch", type=int, default=40, help="samples per simulator design")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz-failures")
    ap.add_argument("--verilator-opt", default="-O0",
                    help="C++ optimization for Verilator builds (compile time dominates)")
    args = ap.parse_args(argv)
    os.environ.setdefault("ALLO_RTL_VERILATOR_OPT", args.verilator_opt)
    targets = [t.strip() for t in args.targets.split(",")]
    unknown = [t for t in targets if t not in ("amaranth", *SIMULATORS)]
    if unknown:
        ap.error(f"unknown target(s) {unknown}")
    minutes = args.minutes if args.minutes is not None else (1e9 if args.samples else 5.0)
    limit = args.samples or 10 ** 12
    c = Campaign([t for t in targets if t in SIMULATORS], args.batch, args.out)
    t0 = time.monotonic()
    deadline = t0 + minutes * 60
    s = args.seed
    while time.monotonic() < deadline and c.stats["samples"] < limit:
        c.default_build(s, deadline, limit)
        c.run_batches()
        print(f"  seed {s}: {c.stats['samples']} samples, {c.stats['failures']} failures",
              flush=True)
        s += 1
    c.run_batches(final=True)
    total = (time.monotonic() - t0) / 60
    st = c.stats
    print(f"{st['samples']} samples in {total:.1f} min, seeds {args.seed}..{s - 1}: default build "
          f"{st['samples'] / max(c.seconds['amaranth'] / 60, 1e-9):.0f}/min, "
          f"{st['refused']} refused, {st['failures']} failing seeds")
    for sim in c.simulators:
        print(f"{sim}: {st[f'{sim}_samples']} samples in {st[f'{sim}_batches']} batches of "
              f"<= {args.batch}, {st[f'{sim}_samples'] / max(c.seconds[sim] / 60, 1e-9):.1f} "
              f"samples/min, {st[f'{sim}_failures']} failing batches")
    return 1 if st["failures"] or any(st[f"{s}_failures"] for s in c.simulators) else 0


if __name__ == "__main__":
    sys.exit(main())
