"""The clock a user asks for (issue 17, Fmax): the default build of gemm, atax and jacobi-1d
at the board oscillator ("before", what every build was until the PLL) against the same
kernels built with ``clock_mhz`` (the PLL, pipelined multiplies, the tighter schedule):
Fmax (mean of nextpnr seeds 1-3), LUT/FF/DSP/BRAM, cycles, wall time per call
(cycles x clock period), and a run through the UART host link in simulation.

    python benchmarks/bench_clock.py [--only gemm,atax] [--boards ulx3s-85f,icebreaker]

A partial run replaces only its kernels' rows of clock.json.

Writes benchmarks/results/clock.json and clock.md. Goals (the issue): timing met at the
requested clock, LUT <= 1.2x before, wall time per call >= 2x better.
"""
import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import allo_rtl as allo                                   # noqa: E402
from allo_rtl.boards.build import build_bitstream         # noqa: E402
from allo_rtl.boards.device import Device, SimulatedBoard  # noqa: E402
from allo_rtl.rtl.build import HardwareDesign             # noqa: E402
from bench_boards import CASES                            # noqa: E402

SEEDS = (1, 2, 3)
TARGET_MHZ = {"ulx3s-85f": 100.0, "icebreaker": 30.0}
OSC_MHZ = {"ulx3s-85f": 25.0, "icebreaker": 12.0}


def host_link_ok(kernel, design, make) -> tuple:
    """(results right, board cycles): the whole board top, UART included, in simulation,
    against the interpreter; every written argument is compared too."""
    s = allo.customize(kernel)
    args = make(np.random.default_rng(11))
    dev_args, ref_args = [a.copy() for a in args], [a.copy() for a in args]
    dev = Device(SimulatedBoard(design, divisor=4, max_cycles=4_000_000), s)
    got = dev(*dev_args)
    want = s.build(target="python")(*ref_args)
    same = (got is None and want is None) or np.array_equal(got, want)
    return bool(same and all(np.array_equal(a, b) for a, b in zip(dev_args, ref_args))), \
        dev.cycles


def measure(name, board, clock_mhz, pipeline_loops=None):
    kernel, _, make, _ = CASES[name]
    info_family = {"ulx3s-85f": "ecp5", "icebreaker": "ice40"}[board]
    clock_ns = 1000.0 / clock_mhz if clock_mhz else None
    design = HardwareDesign(allo.customize(kernel).module, info_family, clock_ns,
                            pipeline_loops=pipeline_loops)
    ok, cycles = host_link_ok(kernel, design, make)
    tag = (f"{int(clock_mhz)}mhz" if clock_mhz else "osc") + \
        (f"_pl{pipeline_loops}" if pipeline_loops else "")
    built = board_builds(design, board, HERE.parent / "build" / "bench_clock" /
                         f"{name}_{board}_{tag}", clock_mhz)
    return {"kernel": name, "board": board, **built, "cycles": cycles, "host_link_ok": ok,
            "wall_us": round(cycles / built["clock_mhz"], 3)}


def board_builds(design, board, build_dir, clock_mhz) -> dict:
    """The design's bitstream at ``clock_mhz`` (None: the oscillator) for each placement
    seed: the achieved clock, the PLL, Fmax (mean and per seed), whether the mean meets the
    clock, and seed 3's utilization."""
    reps = [build_bitstream(design, board, build_dir, clock_mhz=clock_mhz, pnr_seed=seed,
                            progress=io.StringIO()) for seed in SEEDS]
    fmax = float(np.mean([r["fmax_mhz"] for r in reps]))
    clock = reps[-1]["clock_mhz"]
    return {"clock_mhz": clock, "pll": reps[-1]["pll"], "fmax_mhz": round(fmax, 2),
            "fmax_seeds": [r["fmax_mhz"] for r in reps], "timing_met": fmax >= clock,
            "utilization": reps[-1]["utilization"]}


def table(rows) -> str:
    head = ("| kernel | board | build | clock MHz | Fmax MHz (mean of 3) | met | LUT | FF | DSP | "
            "BRAM | cycles | wall us/call | host link |")
    out = [head, "|" + "---|" * 13]
    for r in rows:
        u = r["utilization"]
        out.append(f"| {r['kernel']} | {r['board']} | {r['build']} | {r['clock_mhz']:g} | "
                   f"{r['fmax_mhz']} | {'yes' if r['timing_met'] else 'NO'} | {u['lut']} | "
                   f"{u['ff']} | {u['dsp']} | {u['bram']} | {r['cycles']} | {r['wall_us']} | "
                   f"{'ok' if r['host_link_ok'] else 'WRONG'} |")
    return "\n".join(out)


def pairs_of(rows) -> list:
    """(before, after) for every build of a kernel and board against its default build."""
    before = {(r["kernel"], r["board"]): r for r in rows if r["build"].startswith("default")}
    return [(before[(r["kernel"], r["board"])], r) for r in rows
            if not r["build"].startswith("default") and (r["kernel"], r["board"]) in before]


def goals(pairs) -> str:
    out = ["| kernel | board | build | timing met at the clock | LUT after/before (<= 1.2) | "
           "wall time before/after (>= 2) |", "|---|---|---|---|---:|---:|"]
    for before, after in pairs:
        lut = after["utilization"]["lut"] / max(1, before["utilization"]["lut"])
        speed = before["wall_us"] / after["wall_us"]
        # a wall time at a clock the design does not meet is no wall time
        wall = (f"{speed:.2f}{'' if speed >= 2 else ' MISSED'}" if after["timing_met"] else
                f"MISSED (timing; at its Fmax: "
                f"{before['wall_us'] / (after['cycles'] / after['fmax_mhz']):.2f})")
        out.append(f"| {after['kernel']} | {after['board']} | {after['build']} | "
                   f"{'yes' if after['timing_met'] else 'NO'} ({after['fmax_mhz']} MHz) | "
                   f"{lut:.2f}{'' if lut <= 1.2 else ' MISSED'} | {wall} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="gemm,atax,jacobi")
    ap.add_argument("--boards", default="ulx3s-85f,icebreaker")
    ap.add_argument("--pipeline-loops", type=int, default=1,
                    help="also build with clock_mhz and s.build(pipeline_loops=N) (0: not)")
    ap.add_argument("--render", action="store_true",
                    help="rewrite clock.md from clock.json without building")
    args = ap.parse_args()
    out = HERE / "results"
    if args.render:
        rows = json.loads((out / "clock.json").read_text())
        write(out, rows)
        return
    rows = []
    for name in args.only.split(","):
        for board in args.boards.split(","):
            mhz = TARGET_MHZ[board]
            built = [dict(measure(name, board, None), build="default (oscillator)"),
                     dict(measure(name, board, mhz), build=f"clock_mhz={mhz:g}")]
            if args.pipeline_loops:
                built.append(dict(measure(name, board, mhz, args.pipeline_loops),
                                  build=f"clock_mhz={mhz:g}, "
                                        f"pipeline_loops={args.pipeline_loops}"))
            rows += built
            print("\n".join(table(built).splitlines()[2:]), flush=True)
    # a partial run (--only, --boards) replaces its own rows in the file and keeps the others
    path = out / "clock.json"
    kept = json.loads(path.read_text()) if path.exists() else []
    done = {(r["kernel"], r["board"]) for r in rows}
    merged = [r for r in kept if (r["kernel"], r["board"]) not in done]
    for r in rows:          # in the file's order where the kernel and board were before
        merged.append(r)
    order = {}
    for k, r in enumerate(kept):
        order.setdefault((r["kernel"], r["board"]), k)
    merged.sort(key=lambda r: order.get((r["kernel"], r["board"]), len(order)))
    path.write_text(json.dumps(merged, indent=1))
    write(out, merged)


# jacobi's default builds before the pipelined constant division (combinational, 123 cycles
# at the oscillators: the builds the issue's goals were written against)
EARLIER_US = {("jacobi", "ulx3s-85f"): 4.92, ("jacobi", "icebreaker"): 10.25}


def note(rows) -> str:
    text = ("\"Before\" is the default build (no clock_mhz), scheduled for the timing model's "
            "default clock (50 MHz ECP5, 24 MHz iCE40) and run at the oscillator. Since the "
            "pipelined constant division (issue 17), jacobi's default builds pipeline its "
            "division by 3 too (more cycles). Against its earlier combinational builds "
            "(4.92 / 10.25 us per call on ULX3S / iCEBreaker, benchmarks/README.md): ")
    versus = [f"{r['board']} {r['build']}: "
              f"{EARLIER_US[(r['kernel'], r['board'])] / r['wall_us']:.2f}x"
              for r in rows if (r["kernel"], r["board"]) in EARLIER_US
              and not r["build"].startswith("default")]
    return text + "; ".join(versus) + "."


def write(out, rows):
    text = ("# Requested clocks: before/after (benchmarks/bench_clock.py)\n\n" + table(rows)
            + "\n\n## Goals\n\n" + goals(pairs_of(rows)) + "\n\n" + note(rows) + "\n")
    (out / "clock.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
