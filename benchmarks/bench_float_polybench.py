"""float32 PolyBench at MINI size (tests/float_polybench.py) through the default build: cycles
(a) with no user schedule and (b) with every innermost loop pipelined at II=1, each checked
bit for bit against numpy float32 computed in the source's order; for (b) the achieved II of
each pipelined loop and the limit the report names.

    python benchmarks/bench_float_polybench.py [--kernels gemm,atax] [--only a|b] [--static-a]

Float units: fadd 7 stages, fmul 6 (timing_data/float_units.json); the Amaranth simulator
runs these designs at a few thousand cycles per second, so the whole table takes a while.
"""
import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allo_rtl as allo              # noqa: E402
import float_polybench as fp         # noqa: E402
import kernels                       # noqa: E402
from allo_rtl.hls.synthesize import PipelineWarning   # noqa: E402


class _Static:
    """A design not simulated: its cycles are the control IR's static latency (equal to the
    measured cycles for kernels with constant loop bounds, tests/test_control.py)."""

    def __init__(self, mod):
        self.mod = mod
        self.cycles = mod.design.report_dict()["functions"][0]["latency_estimate"]

    def report(self):
        return self.mod.report()


def run(case, pipelined, static=False):
    s = allo.customize(case.kernel)
    if pipelined:
        kernels.pipeline_innermost(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)
        mod = s.build(max_cycles=20_000_000)
    if static:
        return _Static(mod), "est", 0.0
    args = case.make_inputs(np.random.default_rng(0))
    ref = kernels.copy_args(args)
    case.reference(ref)
    t0 = time.perf_counter()
    mod(*args)
    seconds = time.perf_counter() - t0
    ok = all(np.array_equal(args[k].view(np.uint32), ref[k].view(np.uint32))
             for k in case.written)
    return mod, ok, seconds


def loops_summary(mod) -> str:
    """Achieved II per pipelined loop, grouped: "II 7 x3 (recurrence ... fadd ...)"."""
    groups = Counter()
    for f in mod.report().to_dict()["functions"]:
        for row in f["loops"]:
            if row["pipelined"]:
                groups[(row["ii"], row["note"])] += 1
            elif "not pipelined" in row.get("note", "") and row.get("ii_requested"):
                groups[("-", row["note"])] += 1
    return "; ".join(f"II {ii} x{n} ({note})" for (ii, note), n in
                     sorted(groups.items(), key=str))


def units(mod) -> str:
    fus = mod.report().to_dict()["functions"][0]["functional_units"]
    return " ".join(f"{k}x{v}" for k, v in fus.items() if k.startswith("f"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels", default=",".join(c.name for c in fp.CASES))
    ap.add_argument("--only", choices=["a", "b"], default=None)
    ap.add_argument("--static-a", action="store_true",
                    help="(a) from the static latency, not simulated (the long kernels)")
    args = ap.parse_args()
    print(f"{'kernel':10s} {'(a) cycles':>10s} {'ok':>3s} {'(b) cycles':>10s} {'ok':>3s} "
          f"{'a/b':>5s}  float units (a) | (b): pipelined loops, II (limit)")
    for name in args.kernels.split(","):
        case = fp.BY_NAME[name]
        row = {}
        for label, pipelined in (("a", False), ("b", True)):
            if args.only not in (None, label):
                continue
            row[label] = run(case, pipelined, static=args.static_a and label == "a")
        a = row.get("a")
        b = row.get("b")
        ca = a[0].cycles if a else None
        cb = b[0].cycles if b else None
        ratio = f"{ca / cb:5.1f}" if ca and cb else "    -"
        print(f"{name:10s} {ca or '-':>10} {str(a[1]) if a else '-':>3s} {cb or '-':>10} "
              f"{str(b[1]) if b else '-':>3s} {ratio}  {units(a[0]) if a else ''} | "
              f"{loops_summary(b[0]) if b else ''}", flush=True)


if __name__ == "__main__":
    main()
