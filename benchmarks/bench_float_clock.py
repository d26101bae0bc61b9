"""Float units sized for the requested clock (hls/timing.py ``float_stages``): a float32 gemm
whose ``k`` loop is pipelined (the promoted ``C[i, j]`` makes it a recurrence through the
adder, so its II is the adder's latency) built for a board at a requested clock with the
float units at their fixed default stage counts ("fixed") and at the counts chosen for the
clock ("for the clock"): Fmax (mean of nextpnr seeds 1-3), timing met, LUT/FF/DSP, cycles,
wall time per call, and a run through the UART host link in simulation against the
interpreter.

    python benchmarks/bench_float_clock.py [--boards ulx3s-85f,icebreaker]

Writes benchmarks/results/float_clock.json and float_clock.md.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import allo_rtl as allo                                   # noqa: E402
from allo_rtl.hls.timing import TimingModel               # noqa: E402
from allo_rtl.ir.types import float32                     # noqa: E402
from allo_rtl.rtl.build import HardwareDesign             # noqa: E402
from bench_clock import board_builds, host_link_ok        # noqa: E402

N = 8
#: board -> (family, requested clock MHz)
BOARDS = {"ulx3s-85f": ("ecp5", 50.0), "icebreaker": ("ice40", 12.0)}   # iCE40: its oscillator


def fgemm(A: float32[N, N], B: float32[N, N]) -> float32[N, N]:
    C: float32[N, N] = 0.0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def inputs(rng):
    return [rng.standard_normal((N, N)).astype(np.float32) for _ in range(2)]


def schedule():
    s = allo.customize(fgemm)
    s.pipeline("k")
    return s


def measure(board: str, fixed: bool) -> dict:
    family, clock_mhz = BOARDS[board]
    chosen = TimingModel.float_stages
    if fixed:       # the counts every build had before: the unit's default, whatever the clock
        TimingModel.float_stages = lambda self, cls: self.float_unit(cls)["stages"]
    try:
        design = HardwareDesign(schedule().module, family, 1000.0 / clock_mhz)
    finally:
        TimingModel.float_stages = chosen
    ok, cycles = host_link_ok(fgemm, design, inputs)
    tag = "fixed" if fixed else "clock"
    built = board_builds(design, board, HERE.parent / "build" / "bench_float_clock" /
                         f"fgemm_{board}_{tag}", clock_mhz)
    sch = next(r for f in design.report_dict()["functions"] for r in f["loops"]
               if r["name"] == "k")
    return {"kernel": "fgemm", "board": board, "build": "fixed stages" if fixed else
            "stages for the clock", **built, "ii": sch["ii"], "cycles": cycles,
            "host_link_ok": ok, "wall_us": round(cycles / built["clock_mhz"], 3)}


def table(rows) -> str:
    out = ["| board | build | clock MHz | Fmax MHz (mean of 3) | met | LUT | FF | DSP | k II | "
           "cycles | wall us/call | host link |", "|" + "---|" * 12]
    for r in rows:
        u = r["utilization"]
        out.append(f"| {r['board']} | {r['build']} | {r['clock_mhz']:g} | {r['fmax_mhz']} | "
                   f"{'yes' if r['timing_met'] else 'NO'} | {u['lut']} | {u['ff']} | "
                   f"{u['dsp']} | {r['ii']} | {r['cycles']} | {r['wall_us']} | "
                   f"{'ok' if r['host_link_ok'] else 'WRONG'} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default=",".join(BOARDS))
    args = ap.parse_args()
    rows = []
    for board in args.boards.split(","):
        for fixed in (True, False):
            rows.append(measure(board, fixed))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    results = HERE / "results"
    (results / "float_clock.json").write_text(json.dumps(rows, indent=1) + "\n")
    text = ("# Float units sized for the requested clock (benchmarks/bench_float_clock.py)\n\n"
            + table(rows) + "\n")
    (results / "float_clock.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
