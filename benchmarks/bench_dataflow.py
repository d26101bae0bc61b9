"""Dataflow regions in hardware: cycles with concurrent stages vs the same stages in turn,
and the systolic gemm's cycles vs the array's bound K + P0 + P1 per output tile. Every
result is checked against numpy; cycles are the harness's counter on Amaranth's simulator.

    python benchmarks/bench_dataflow.py [--pes 4 8] [--k 8 32] [--variants partitioned]

* Three stages (load -> x*x + i -> store) over N elements, each stage's loop pipelined:
  joined by streams (the region runs them at the same time) or by arrays (a region without
  streams: the stages run one after another). Same stage code, same schedules.
* Ping-pong: a loop over T tiles of three stages passing arrays (examples/dataflow/
  pingpong_tiles.py), with and without ``s.dataflow("t")`` (double buffers, token streams).
* The systolic gemm of examples/dataflow/systolic_gemm.py at P0 x P1 PEs (K = 8 and 32):
  unscheduled; with its PE loops pipelined; and also with A partitioned by rows, B by
  columns and C completely. Without the partitions the PEs feeding A (B) share A's (B's)
  one memory port through the region's arbiter, so feeding takes at least P0 * K cycles
  and the 16 PEs' writes of C take turns on C's port.
"""
import argparse
import importlib.util
import pathlib
import time
import warnings

import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df

N = 256
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _example(name):
    """A module of examples/dataflow (the designs are shared with the tests)."""
    spec = importlib.util.spec_from_file_location(f"ex_{name}",
                                                  ROOT / "examples" / "dataflow" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


three = _example("three_stage")
streamed, in_turn = three.streamed(N, 4, 4), three.in_turn(N)


def run(s, args):
    mod = s.build()
    out = [a.copy() for a in args]
    t0 = time.perf_counter()
    mod(*out)
    return mod, out, time.perf_counter() - t0


def pipeline_all(s, names, loop="i"):
    for name in names:
        s.pipeline(f"{name}:{loop}")
    return s


def bench_concurrency(pipelined=True):
    A = np.random.default_rng(0).integers(-3000, 3000, N).astype(np.int32)
    expect = three.reference(A)
    stages = three.STAGES if pipelined else ()
    s = pipeline_all(df.customize(streamed), stages)
    mod_c, out_c, _ = run(s, [A, np.zeros(N, np.int32)])
    assert (out_c[1] == expect).all()
    s = pipeline_all(df.customize(in_turn), stages)
    mod_s, out_s, _ = run(s, [A, np.zeros(N, np.int32)])
    assert (out_s[1] == expect).all()
    print(f"three stages over {N} elements, loops {'' if pipelined else 'not '}pipelined: "
          f"streams + concurrent {mod_c.cycles} cycles; arrays, stages in turn {mod_s.cycles} cycles; "
          f"{mod_s.cycles / mod_c.cycles:.2f}x fewer with concurrency")
    stages = {r['stage']: r['latency'] for r in mod_c.report().to_dict()["stages"]}
    print(f"   stage latencies (start -> done): {stages}")
    return mod_s.cycles / mod_c.cycles


def systolic(P, K, variant):
    """``variant``: "plain" (no schedule), "pipelined" (every PE's k loop), "partitioned"
    (also A by rows, B by columns and C completely: every feeder and PE its own bank)."""
    src = (ROOT / "examples" / "dataflow" / "systolic_gemm.py").read_text()
    src = src.replace("P0, P1, K = 4, 4, 8", f"P0, P1, K = {P}, {P}, {K}")
    path = pathlib.Path("/tmp") / f"allo_rtl_bench_systolic_{P}_{K}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    sg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sg)
    s = df.customize(sg.top)
    if variant != "plain":
        for name, f in list(s.module.functions.items()):
            if name.startswith("pe_") and any(x.name == "k" for x in allo_rtl_loops(f)):
                s.pipeline(f"{name}:k")
    if variant == "partitioned":
        s.partition(s.A, allo.Partition.Complete, dim=1)
        s.partition(s.B, allo.Partition.Complete, dim=2)
        s.partition(s.C, allo.Partition.Complete, dim=0)
    rng = np.random.default_rng(1)
    A = rng.integers(-100, 100, (P, K)).astype(np.int32)
    B = rng.integers(-100, 100, (K, P)).astype(np.int32)
    t0 = time.perf_counter()
    mod, out, sim_s = run(s, [A, B, np.zeros((P, P), np.int32)])
    assert (out[2] == (A.astype(np.int64) @ B).astype(np.int32)).all()
    bound = K + P + P
    # the region's own latency (all PEs started -> last PE done) leaves out the kernel call's
    # start and done handshake around it
    (region,) = mod.report().to_dict()["regions"]
    print(f"systolic gemm {P}x{P} PEs, K={K}, {variant}: {mod.cycles} cycles (region "
          f"{region['latency']}); array bound K+P0+P1 = {bound} ({mod.cycles / bound:.2f}x, "
          f"region {region['latency'] / bound:.2f}x); build+sim "
          f"{time.perf_counter() - t0:.1f} s")
    return mod.cycles


def bench_pingpong(T=16, N=32, pipelined=True):
    """s.dataflow over a loop of three stages passing arrays (examples/dataflow/
    pingpong_tiles.py): ping-pong buffers let them overlap; without it they run in turn."""
    pp = _example("pingpong_tiles")
    A = np.random.default_rng(2).integers(-1000, 1000, (T, N)).astype(np.int32)
    cycles = {}
    for df_on in (False, True):
        mod = pp.schedule(T, N, dataflow=df_on, pipelined=pipelined).build()
        assert (mod(A) == pp.reference(A)).all()
        cycles[df_on] = mod.cycles
    print(f"ping-pong tiles T={T}, N={N}, stage loops {'' if pipelined else 'not '}pipelined: "
          f"stages in turn {cycles[False]} cycles; s.dataflow (double buffers) {cycles[True]} "
          f"cycles; {cycles[False] / cycles[True]:.2f}x fewer")
    return cycles[False] / cycles[True]


def allo_rtl_loops(f):
    from allo_rtl.ir import nodes as ir
    return ir.loops(f.body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pes", type=int, nargs="*", default=[4])
    ap.add_argument("--k", type=int, nargs="*", default=[8, 32])
    ap.add_argument("--variants", nargs="*", default=["plain", "pipelined", "partitioned"],
                    help="systolic variants (8x8 'plain'/'pipelined' fail in Amaranth's "
                         "Python simulator: the shared-port arbiters nest too deep for "
                         "Python's compiler)")
    ap.add_argument("--systolic-only", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if not args.systolic_only:
        bench_concurrency(pipelined=False)
        bench_concurrency(pipelined=True)
        bench_pingpong(pipelined=False)
        bench_pingpong(pipelined=True)
    for P in args.pes:
        for K in args.k:
            for variant in args.variants:
                systolic(P, K, variant)


if __name__ == "__main__":
    main()
