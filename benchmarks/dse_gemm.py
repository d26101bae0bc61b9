"""DSE on gemm (int32, 8x8): reorder x pipelined loop x unroll factor x partition factor,
96 points, each timed by the fast cycle model with resources estimated from the report, run
on a Dask distributed cluster (a LocalCluster of 2 worker processes unless --address names a
running scheduler). Writes benchmarks/results/dse_gemm.json, .md and the Pareto plot
dse_gemm.png / .svg.

    python -m benchmarks.dse_gemm [--address tcp://HOST:8786] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import allo_rtl as allo
from allo_rtl import dse, int32

N = 8
OUT = Path(__file__).resolve().parent / "results"


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N]
    for i0, j0 in allo.grid(N, N, name="init"):
        C[i0, j0] = 0
    for i, j, k in allo.grid(N, N, N, name="mm"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def schedule(s, reorder, pipeline, unroll, partition):
    """Allo-style: optionally reorder k outside j, unroll j, partition B and C along the
    unrolled dimension, pipeline one loop."""
    if reorder:
        s.reorder("k", "j")
    if unroll > 1:
        s.unroll("j", unroll)
    if partition > 1:
        s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=partition)
        s.partition(s.C, allo.Partition.Cyclic, dim=2, factor=partition)
    if pipeline:
        s.pipeline(pipeline)


SPACE = dse.Space(reorder=[False, True], pipeline=[None, "j", "k"], unroll=[1, 2, 4, 8],
                  partition=[1, 2, 4, 8])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="a running Dask scheduler (default: a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2)
    opts = ap.parse_args(argv)
    cluster = None
    address = opts.address
    if address is None:
        from distributed import LocalCluster
        cluster = LocalCluster(n_workers=opts.workers, threads_per_worker=1,
                               dashboard_address=None)
        address = cluster.scheduler_address
    # workers import the kernel by name: take it from this module as imported, not __main__
    from benchmarks import dse_gemm as me
    try:
        exp = dse.explore(me.gemm, me.schedule, SPACE, address=address, progress=True)
    finally:
        if cluster is not None:
            cluster.close()
    OUT.mkdir(exist_ok=True)
    (OUT / "dse_gemm.json").write_text(json.dumps(
        {"space": SPACE.choices, "seconds": exp.seconds, "points": exp.points,
         "front": exp.front}, indent=1, default=str) + "\n")
    md = (f"# DSE: gemm int32 8x8, {len(exp.points)} points ({len(exp.feasible)} built) in "
          f"{exp.seconds} s on Dask\n\nPareto front (cycles x LUT x DSP):\n\n{exp.table()}\n")
    (OUT / "dse_gemm.md").write_text(md)
    exp.plot(OUT / "dse_gemm", f"gemm 8x8: {len(exp.feasible)} schedules, Pareto front ringed")
    print(md)


if __name__ == "__main__":
    main()
