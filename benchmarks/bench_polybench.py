"""PolyBench (int32, 8 per dimension, the calyx-evaluation sizes): cycles of the generated
hardware (a) with no user schedule and (b) with every innermost loop pipelined at II=1, vs
Vivado HLS 2019.2's published default cycles; achieved II per pipelined loop with the reason
when it is not 1; and the time the HLS passes take per kernel.

    python benchmarks/bench_polybench.py

For (b), "bound" is the resource lower bound (allo_rtl/sim/resource_bound.py): the sum over
every entry of a pipelined loop of (trips - 1) x ResMII + depth, where ResMII is the largest
number of accesses one memory port must serve per iteration (after register promotion) over
the port's capacity -- what any schedule of these loop bodies needs, whatever II it reaches;
run-time (triangular) trips are counted on the call's inputs. "b/bound" is the price of the
achieved II (recurrences, ports shared in one slot) and of the FSM around the pipelines.
(c) is (b) with every array argument and result given a read and a write port (as
``@ Memory(storage_type="RAM_2P")`` on each would: hls/two_port.py), "c/bound" against (c)'s
own bound. (d) is (b) with every array argument and result given two read/write ports
(``@ Memory(storage_type="RAM_T2P")``: hls/port_binding.py), "d/bound" against (d)'s bound.
Kernels are the ones of tests/kernels.py (checked against numpy here and in the tests).
"""
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allo_rtl as allo          # noqa: E402
import kernels                   # noqa: E402
from allo_rtl.hls.synthesize import PipelineWarning   # noqa: E402
from allo_rtl.ir import nodes as ir   # noqa: E402
from allo_rtl.memory import Memory   # noqa: E402
from allo_rtl.rtl.build import HardwareDesign   # noqa: E402
from allo_rtl.sim.resource_bound import resource_bound   # noqa: E402

VIVADO_2019_2 = {"gemm": 2684, "2mm": 3718, "3mm": 5043, "atax": 715, "bicg": 218, "mvt": 597,
                 "gesummv": 532, "syrk": 2631, "doitgen": 14545}




def run(case, pipelined, two_port=False, storage="RAM_2P"):
    s = allo.customize(case.kernel)
    if pipelined:
        kernels.pipeline_innermost(s)
    if two_port:            # as if every array argument and result were annotated ``storage``
        top = s.module.top_func
        for b in [*top.params, *top.results]:
            if isinstance(b, ir.Buffer):
                b.memory = Memory(storage_type=storage)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)
        HardwareDesign(s.module)
        hls_s = time.perf_counter() - t0
        mod = s.build()
    args = case.make_inputs(np.random.default_rng(0), False)
    np_args = kernels.copy_args(args)
    expected = case.reference(np_args)
    got = mod(*args)
    try:
        if expected is not None:
            kernels.assert_same(got, expected)
        for k in case.inplace:
            kernels.assert_same(args[k], np_args[k])
        ok = True
    except AssertionError:
        ok = False
    return mod, hls_s, ok


def pipeline_rows(mod):
    """(loop row, outer trips) for every pipelined loop of the top function."""
    top = next(f for f in mod.design.report_dict()["functions"]
               if f["function"] == mod.design.module.top)
    stack, out = [], []
    for row in top["loops"]:
        level = row.get("nest_level", row["level"])
        stack = [r for r in stack if r["level"] < level]
        if row["pipelined"]:
            outer = 1
            for r in stack:
                outer = None if outer is None or r["trip_count"] is None else outer * r["trip_count"]
            out.append((row, outer))
        else:
            stack.append(row)
    return out


def main():
    print(f"{'kernel':8s} {'(a)':>6s} {'vivado':>6s} {'a/viv':>5s} {'(b)':>6s} {'bound':>6s} "
          f"{'b/bound':>7s} {'(c)':>6s} {'c/bound':>7s} {'(d)':>6s} {'d/bound':>7s} "
          f"{'hls a s':>7s} {'hls b s':>7s} ok  "
          "pipelined loops: II (why)")
    notes = []
    for case in kernels.CASES:
        if case.name not in VIVADO_2019_2:
            continue
        mod_a, hls_a, ok_a = run(case, False)
        mod_b, hls_b, ok_b = run(case, True)
        mod_c, _, ok_c = run(case, True, two_port=True)
        mod_d, _, ok_d = run(case, True, two_port=True, storage="RAM_T2P")
        bound_d = resource_bound(mod_d.design,
                                 *case.make_inputs(np.random.default_rng(0), False))
        bound_c = resource_bound(mod_c.design,
                                 *case.make_inputs(np.random.default_rng(0), False))
        rows = pipeline_rows(mod_b)
        bound = resource_bound(mod_b.design, *case.make_inputs(np.random.default_rng(0), False))
        v = VIVADO_2019_2[case.name]
        iis = " ".join(f"{r['name']}:{r['ii']}" for r, _ in rows)
        b_ratio = f"{mod_b.cycles / bound:7.2f}" if bound else "    n/a"
        c_ratio = f"{mod_c.cycles / bound_c:7.2f}" if bound_c else "    n/a"
        d_ratio = f"{mod_d.cycles / bound_d:7.2f}" if bound_d else "    n/a"
        print(f"{case.name:8s} {mod_a.cycles:6d} {v:6d} {mod_a.cycles / v:5.2f} "
              f"{mod_b.cycles:6d} {bound or 0:6d} {b_ratio} {mod_c.cycles:6d} {c_ratio} "
              f"{mod_d.cycles:6d} {d_ratio} {hls_a:7.3f} {hls_b:7.3f} "
              f"{'ok' if ok_a and ok_b and ok_c and ok_d else 'WRONG'}  {iis}")
        for r, _ in rows:
            if r["ii"] != 1:
                notes.append(f"  {case.name}.{r['name']}: {r['note']}")
    print("loops not at II=1:")
    print("\n".join(notes))




if __name__ == "__main__":
    main()
