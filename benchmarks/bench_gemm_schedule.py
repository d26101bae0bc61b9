"""gemm 16x16 (int32) under Allo schedules, from none to reorder + unroll + partition +
pipeline: cycles measured in simulation, the pipelines' achieved II and depth, and the
memory-port bound trips x II + depth of the pipelined loop. Results are checked against numpy.

    python benchmarks/bench_gemm_schedule.py

The kernel's C is a local result (initialised in an explicit loop, so it can be unrolled).
"""
import time
import warnings

import numpy as np

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.hls.synthesize import PipelineWarning

N = 16


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N]
    for i0, j0 in allo.grid(N, N, name="init"):
        C[i0, j0] = 0
    for i, j, k in allo.grid(N, N, N, name="mm"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def none(s):
    pass


def pipelined(s):
    s.reorder("k", "j")
    s.pipeline("j")
    s.pipeline("j0")


def unrolled(factor):
    def schedule(s):
        s.reorder("k", "j")
        s.unroll("j", factor)
        s.unroll("j0", factor)
        s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=factor)
        s.partition(s.C, allo.Partition.Cyclic, dim=2, factor=factor)
        s.pipeline("j" if factor < N else "k")
        s.pipeline("j0" if factor < N else "i0")
    schedule.__name__ = f"reorder+unroll{factor}+cyclic{factor}+pipeline"
    return schedule


def buffered(factor):
    """Allo's gemm tutorial schedule (reorder, buffer_at, pipeline), then unroll + partition:
    the row buffer C_buf is an on-chip memory with a read and a write port per bank."""
    def schedule(s):
        s.reorder("k", "j")
        buf = s.buffer_at(s.C, axis="i")
        s.pipeline("j0")
        if factor > 1:
            s.unroll("j", factor if factor < N else 0)
            s.unroll("j0", factor)
            for copy in ("C_buf_in_l0", "C_buf_out_l0"):
                s.unroll(copy, factor)       # bank of each copy known at compile time
            s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=factor)
            s.partition(buf, allo.Partition.Cyclic, dim=1, factor=factor)
        s.pipeline("j" if factor < N else "k")
    schedule.__name__ = "reorder+buffer_at" + (
        f"+unroll{factor}+cyclic{factor}" if factor > 1 else "") + "+pipeline"
    return schedule


SCHEDULES = [none, pipelined, unrolled(2), unrolled(4), unrolled(8), unrolled(16),
             buffered(1), buffered(4), buffered(16)]


def measure(schedule):
    s = allo.customize(gemm)
    schedule(s)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)
        mod = s.build()
    compile_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    A = rng.integers(-2**15, 2**15, (N, N)).astype(np.int32)
    B = rng.integers(-2**15, 2**15, (N, N)).astype(np.int32)
    got = mod(A, B)
    want = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == "gemm")
    pipes = [row for row in top["loops"] if row["pipelined"]]
    main = [row for row in pipes if row["name"] in ("j", "k")]
    return mod, compile_s, bool((got == want).all()), pipes, main


def outer_trips(rows, target):
    """Product of the trip counts of the loops around the pipelined nest of ``target`` (report
    rows in program order; ``nest_level`` is the depth of the nest's outermost flattened loop)."""
    trips, level = 1, target["nest_level"]
    for row in reversed(rows[:rows.index(target)]):
        if row["level"] < level:
            trips *= row["trip_count"]
            level = row["level"]
    return trips


def main():
    print("| schedule | cycles | result | pipelined loop: trips x II + depth | bound (all outer "
          "trips) | cycles/bound | compile |")
    print("|---|---|---|---|---|---|---|")
    for schedule in SCHEDULES:
        mod, compile_s, ok, pipes, mm = measure(schedule)
        top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == "gemm")
        bound = sum(outer_trips(top["loops"], r) * (r["trip_count"] * r["ii"] + r["depth"])
                    for r in pipes)
        desc = ", ".join(f"{r['name']}: {r['trip_count']} x {r['ii']} + {r['depth']}"
                         + (f" ({r['note']})" if r["ii"] != 1 else "") for r in mm) or "-"
        ratio = f"{mod.cycles / bound:.3f}" if bound else "-"
        print(f"| {schedule.__name__} | {mod.cycles} | {'ok' if ok else 'WRONG'} | {desc} | "
              f"{bound or '-'} | {ratio} | {compile_s:.2f} s |")


if __name__ == "__main__":
    main()
