"""Fmax spread over nextpnr placement seeds for one generated kernel in the UART board top:
tells a real Fmax change from placement noise (bench_boards.py averages only 3 seeds).

    python benchmarks/fmax_seeds.py gemm [--board icebreaker] [--seeds 8]

Prints each seed's Fmax and LUTs, then mean, standard deviation, min and max. To compare two
checkouts, run it in each (or set PYTHONPATH to the other tree); to check that two versions of
a kernel are the same circuit, use ``python -m allo_rtl.tools.same_hardware old.v new.v``.
"""
import argparse
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
import bench_boards                                       # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kernel", choices=sorted(bench_boards.CASES))
    ap.add_argument("--board", default="icebreaker")
    ap.add_argument("--seeds", type=int, default=8)
    args = ap.parse_args(argv)
    kernel = bench_boards.CASES[args.kernel][0]
    design = HardwareDesign(allo.customize(kernel).module, get_board(args.board).family)
    fmax = []
    for seed in range(1, args.seeds + 1):
        out = HERE.parent / "build" / "fmax_seeds" / f"{args.kernel}_{args.board}_{seed}"
        rep = build_bitstream(design, args.board, out, pnr_seed=seed, progress=io.StringIO())
        fmax.append(rep["fmax_mhz"])
        print(f"seed {seed}: {rep['fmax_mhz']:.2f} MHz, {rep['utilization']['lut']} LUT",
              flush=True)
    print(f"{args.kernel} on {args.board}: mean {np.mean(fmax):.2f} MHz, std {np.std(fmax):.2f}, "
          f"min {min(fmax):.2f}, max {max(fmax):.2f} over {len(fmax)} seeds")


if __name__ == "__main__":
    main()
