"""Board benchmark: Fmax and utilization of generated kernels vs hand-written Amaranth
baselines (benchmarks/baselines/), both inside the same UART board top, on iCEBreaker and
ULX3S-85F. Each baseline is first checked against numpy in simulation.

    python benchmarks/bench_boards.py [board ...]     # default: icebreaker ulx3s-85f

Builds go to build/bench_boards/<kernel>_<board>_{gen,hand}; Fmax is the mean over three
nextpnr seeds (a single placement varies by several percent). Targets from the issue:
Fmax(gen) >= 0.9 Fmax(hand) and LUT(gen) <= 1.3 LUT(hand).
"""
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import allo_rtl as allo                                   # noqa: E402
from allo_rtl.boards.build import build_bitstream         # noqa: E402
from allo_rtl.boards.registry import get_board            # noqa: E402
from allo_rtl.rtl.build import HardwareDesign             # noqa: E402
from allo_rtl.rtl.interface import interface_of           # noqa: E402
from allo_rtl.sim import boundary                         # noqa: E402
from allo_rtl.sim.amaranth_sim import simulate            # noqa: E402
from baselines.atax_hand import HandAtax                  # noqa: E402
from baselines.gemm_hand import HandGemm                  # noqa: E402
from baselines.jacobi_hand import HandJacobi              # noqa: E402
import kernels                                            # noqa: E402

N = kernels.N
SEEDS = (1, 2, 3)     # nextpnr placement seeds: Fmax is the mean over them (it varies a few %)


def gemm(A: allo.int32[N, N], B: allo.int32[N, N]) -> allo.int32[N, N]:
    C: allo.int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


CASES = {
    "gemm": (gemm, lambda: HandGemm(N),
             lambda rng: [kernels.i32(rng, (N, N)), kernels.i32(rng, (N, N))],
             lambda a: kernels.wrap32(a[0].astype(np.int64) @ a[1])),
    "atax": (kernels.atax, None, lambda rng: [kernels.i32(rng, (N, N)), kernels.i32(rng, (N,))],
             kernels.atax_ref),
    "jacobi": (kernels.jacobi_1d, lambda: HandJacobi(N, kernels.T_STEPS),
               lambda rng: [kernels.i32(rng, (N,)), kernels.i32(rng, (N,))], None),
}


class Baseline:
    """A HardwareDesign whose component is the hand-written kernel."""

    def __init__(self, design, factory):
        self.__dict__.update(design.__dict__)
        self.component = factory
        self._generated = design

    def __getattr__(self, name):
        return getattr(self._generated, name)


def check_baseline(design, factory, make, name):
    top = design.module.top_func
    iface = interface_of(top)
    rng = np.random.default_rng(1)
    args = make(rng)
    raw = boundary.convert_args(top, [a.copy() for a in args], design.top_banks)
    res = simulate(factory, iface, raw, max_cycles=200_000)
    ref_args = [a.copy() for a in args]
    expected = allo.customize(CASES[name][0]).build(target="python")(*ref_args)
    got = boundary.convert_results(top, res.raw_results, design.top_banks)
    after = [boundary.array_out(p.type, r) for p, r in zip(top.params, res.raw_args)]
    ok = (got is None or np.array_equal(got, expected)) and all(
        np.array_equal(a, b) for a, b in zip(after, ref_args))
    return ok, res.cycles


def main(boards):
    rows = []
    for name, (kernel, hand, make, _) in CASES.items():
        if name == "atax":
            hand = lambda: HandAtax(N, result=interface_of(  # noqa: E731
                allo.customize(kernels.atax).top).results[0].name)
        for board in boards:
            info = get_board(board)
            design = HardwareDesign(allo.customize(kernel).module, info.family)
            ok, hand_cycles = check_baseline(design, hand, make, name)
            gen_mod = allo.customize(kernel).build(family=info.family)
            gen_mod(*make(np.random.default_rng(1)))
            out = {}
            for tag, d in (("gen", design), ("hand", Baseline(design, hand))):
                reps = [build_bitstream(d, board, HERE.parent / "build" / "bench_boards" /
                                        f"{name}_{board}_{tag}", pnr_seed=seed,
                                        progress=io.StringIO()) for seed in SEEDS]
                out[tag] = dict(reps[-1], fmax_mhz=float(np.mean([r["fmax_mhz"] for r in reps])))
            g, h = out["gen"], out["hand"]
            rows.append((name, board, ok, g["fmax_mhz"], h["fmax_mhz"], g["utilization"],
                         h["utilization"]))
            print(f"{name:7s} {board:11s} hand-ok={ok} Fmax gen {g['fmax_mhz']:7.2f} / hand "
                  f"{h['fmax_mhz']:7.2f} MHz ({g['fmax_mhz'] / h['fmax_mhz']:.2f}x) | LUT gen "
                  f"{g['utilization']['lut']} / hand {h['utilization']['lut']} "
                  f"({g['utilization']['lut'] / max(1, h['utilization']['lut']):.2f}x) | FF "
                  f"{g['utilization']['ff']}/{h['utilization']['ff']} BRAM "
                  f"{g['utilization']['bram']}/{h['utilization']['bram']} DSP "
                  f"{g['utilization']['dsp']}/{h['utilization']['dsp']} | cycles gen "
                  f"{gen_mod.cycles} / hand {hand_cycles}", flush=True)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:] or ["icebreaker", "ulx3s-85f"])
