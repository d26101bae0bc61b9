"""The recurrence part of the lower bound (hls/recurrence.py, resource_bound(...,
recurrences=True)) against bounds worked out here from the loops' carried chains and the
float units' stage counts (timing_data/float_units.json): a float accumulation (the adder
alone: its output is read back through the bypass), a memory recurrence at distance 1 (the
load's cycle and the store's) and at distance 2 (half of that per iteration), and an
int -> float -> int update (three units). The bound never exceeds the cycles measured."""
import json
from pathlib import Path

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float32, int32
from allo_rtl.sim.resource_bound import resource_bound

N = 12
UNITS = json.loads((Path(allo.__file__).parent / "hls" / "timing_data" /
                    "float_units.json").read_text())["families"]["generic"]


def float_sum(A: float32[N]) -> float32:
    acc: float32 = 0.0
    for i in range(N):
        acc = acc + A[i]
    return acc


def prefix(B: int32[N], C: int32[N]):
    X: int32[N] = 0
    X[0] = B[0]
    for i in range(1, N):
        X[i] = X[i - 1] + B[i]          # X has a read and a write port: ResMII 1
    for i in range(N):
        C[i] = X[i]


def every_other(B: int32[N], C: int32[N]):
    X: int32[N] = 0
    X[0] = B[0]
    X[1] = B[1]
    for i in range(2, N):
        X[i] = X[i - 2] + B[i]          # distance 2: one load-to-store chain per 2 iterations
    for i in range(N):
        C[i] = X[i]


def scaled_sum(A: int32[N]) -> int32:
    acc: int32 = 0
    for i in range(N):
        acc += 1.5 * A[i]               # int -> float, fadd, float -> int, every iteration
    return acc


def _row(mod, loop):
    f = next(f for f in mod.design.report_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in f["loops"] if r["name"] == loop and r["pipelined"])


def _bounds(kernel, loop, *args):
    s = allo.customize(kernel)
    s.pipeline(loop)
    mod = s.build()
    mod(*[a.copy() for a in args])
    res = resource_bound(mod.design, *args)
    rec = resource_bound(mod.design, *args, recurrences=True)
    assert res <= rec <= mod.cycles
    return mod, res, rec


def test_a_float_accumulation_recurs_in_the_adder():
    A = np.random.default_rng(1).standard_normal(N).astype(np.float32)
    mod, res, rec = _bounds(float_sum, "i", A)
    fadd = UNITS["fadd"]["stages"]
    row = _row(mod, "i")
    assert row["res_mii"] == 1
    assert rec - res == (N - 1) * (fadd - 1)
    assert row["ii"] == fadd                   # the schedule reaches it


def test_a_memory_recurrence_at_distance_one_costs_the_load_and_the_store():
    B = np.random.default_rng(2).integers(-50, 50, N).astype(np.int32)
    C = np.zeros(N, np.int32)
    mod, res, rec = _bounds(prefix, "i", B, C)
    # iteration n + 1 loads what n stored: the load's data a cycle after its address, the
    # store a cycle before the next load may see it -- II 2 against ResMII 1, N - 1 trips
    assert rec - res == (N - 2) * (2 - 1)
    out, interpreted = np.zeros(N, np.int32), np.zeros(N, np.int32)
    mod(B, out)
    allo.customize(prefix).build(target="python")(B, interpreted)
    assert np.array_equal(out, np.cumsum(B.astype(np.int64)).astype(np.int32))
    assert np.array_equal(out, interpreted)


def test_distance_two_halves_the_recurrence():
    B = np.random.default_rng(3).integers(-50, 50, N).astype(np.int32)
    C = np.zeros(N, np.int32)
    mod, res, rec = _bounds(every_other, "i", B, C)
    assert rec == res                        # ceil(2 / 2) = 1 = ResMII


def test_int_float_int_update_counts_the_three_units():
    A = np.random.default_rng(4).integers(-50, 50, N).astype(np.int32)
    mod, res, rec = _bounds(scaled_sum, "i", A)
    chain = UNITS["itof"]["stages"] + UNITS["fadd"]["stages"] + UNITS["ftoi"]["stages"]
    assert rec - res == (N - 1) * (chain - _row(mod, "i")["res_mii"])
    assert _row(mod, "i")["ii"] == chain
