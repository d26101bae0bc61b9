"""The fast cycle model (sim/cycle_model.py): ``mod.estimate(...)`` and ``target="cycles"``
must give exactly the cycles the Amaranth simulation of the RTL measures, on every test
kernel, with random and edge inputs, including data-dependent loops, branches, while loops,
run-time pipeline bounds and calls; what it cannot time (the stall source) it refuses.

The reference for cycles is the RTL simulation (the harness's counter); the reference for
results of ``target="cycles"`` is each kernel's numpy model."""
from pathlib import Path
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings

import allo_rtl as allo
import fuzz_kernels as fk
from allo_rtl.ir.types import float32, int32
from allo_rtl.sim.cycle_model import CycleModelError
from kernels import CASES, assert_same, copy_args, pipeline_innermost
from test_stall import KERNELS

N = 8


def _check(mod, args):
    """Simulated cycles == estimate (static path when it applies) == the traced run of the
    whole interpreter == the traced run of the control slice."""
    est = mod.estimate(*copy_args(args))
    full = mod.estimate(*copy_args(args), trace=True, sliced=False)
    sliced = mod.estimate(*copy_args(args), trace=True)
    mod(*copy_args(args))
    assert (est, full, sliced) == (mod.cycles,) * 3, \
        f"estimate {est} / traced {full} / sliced {sliced}, RTL simulation {mod.cycles}"
    return mod.cycles


@pytest.mark.parametrize("pipelined", [False, True], ids=["plain", "pipelined"])
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_every_test_kernel_estimates_its_simulated_cycles(case, pipelined):
    s = allo.customize(case.kernel)
    if pipelined:
        pipeline_innermost(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = s.build()
    rng = np.random.default_rng(11)
    for edge in (False, True):
        _check(mod, case.make_inputs(rng, edge))


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_data_dependent_kernels_estimate_their_cycles(name):
    make, inputs, ref = KERNELS[name]
    mod = make().build()
    fast = make().build(target="cycles")
    rng = np.random.default_rng(5)
    seen = set()
    for _ in range(4):
        args = inputs(rng)
        seen.add(_check(mod, args))
        got = fast(*copy_args(args))
        assert fast.cycles == mod.cycles
        assert_same(np.asarray(got), np.asarray(ref(args)))
    if name in ("collatz_while_if", "calls_variable"):      # the others are static
        assert len(seen) > 1, "inputs should change the cycles of a data-dependent kernel"


# --- kernels whose control depends on data in ways the shared registry does not cover ---

def triangle(A: int32[N, N]) -> int32[N]:
    s: int32[N] = 0
    for i in range(N):
        for j in range(i + 1):          # run-time bound: pipelined, trips 1..N
            s[i] += A[i, j]
    return s


def triangle_ref(args):
    (A,) = args
    return np.array([np.tril(A.astype(np.int64))[i].sum() for i in range(N)]).astype(np.int32)


def counted(n: int32, X: int32[N]) -> int32:
    acc: int32 = 0
    for i in range(n):                  # a scalar bound: zero trips included
        if X[i % N] > 0:                # unequal arms
            acc = acc + X[i % N] * 3
        else:
            acc = acc - 1
    return acc


def counted_ref(args):
    n, X = args
    acc = 0
    for i in range(max(0, n)):
        acc = acc + int(X[i % N]) * 3 if X[i % N] > 0 else acc - 1
    return np.int32(np.int64(acc).astype(np.int32))


def halve(x: float32) -> float32:
    while x > 1.0:                      # float compare in the condition, float mul in the body
        x = x * 0.5
    return x


def halve_ref(args):
    (x,) = args
    x = np.float32(x)
    while x > np.float32(1.0):
        x = np.float32(x * np.float32(0.5))
    return x


def sub_sum(X: int32[N]) -> int32[N]:
    Y: int32[N] = 0
    for i in range(N):
        if X[i] > 0:
            Y[i] = X[i] + 1
    return Y


def branch_call(c: int32, X: int32[N]) -> int32[N]:
    Z: int32[N] = 0
    if c > 0:                           # a call on one arm only
        Z = sub_sum(X)
    return Z


def branch_call_ref(args):
    c, X = args
    return np.where(X > 0, X + 1, 0).astype(np.int32) if c > 0 else np.zeros(N, np.int32)


def fdot(X: float32[N], Y: float32[N]) -> float32:
    acc: float32 = 0.0
    for i in range(N):                  # pipelined: the fadd recurrence sets II
        acc += X[i] * Y[i]
    return acc


def fdot_ref(args):
    X, Y = args
    acc = np.float32(0)
    for x, y in zip(X, Y):
        acc = np.float32(acc + np.float32(x * y))
    return acc


def _tri(rng):
    return [rng.integers(-100, 100, (N, N)).astype(np.int32)]


EXTRA = {
    "triangle": (triangle, lambda s: s.pipeline("j"), _tri, triangle_ref),
    "triangle_plain": (triangle, None, _tri, triangle_ref),
    "counted": (counted, None, lambda r: [int(r.integers(-2, 12)),
                                          r.integers(-5, 5, N).astype(np.int32)], counted_ref),
    "halve": (halve, None, lambda r: [float(r.choice([0.5, 3.0, 1e6, -2.0, 1e30]))], halve_ref),
    "fdot": (fdot, lambda s: s.pipeline("i"),
             lambda r: [r.standard_normal(N).astype(np.float32) for _ in range(2)], fdot_ref),
    "branch_call": (branch_call, None, lambda r: [int(r.integers(-1, 2)),
                                                  r.integers(-5, 5, N).astype(np.int32)],
                    branch_call_ref),
}


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_runtime_bounds_branches_floats_and_calls(name):
    kernel, schedule, inputs, ref = EXTRA[name]
    s = allo.customize(kernel)
    if schedule:
        schedule(s)
    mod = s.build()
    fast = s.build(target="cycles")
    rng = np.random.default_rng(2)
    seen = set()
    for _ in range(5):
        args = inputs(rng)
        seen.add(_check(mod, args))
        got = fast(*copy_args(args))
        assert fast.cycles == mod.cycles
        np.testing.assert_array_equal(np.asarray(got), np.asarray(ref(args)))
    if name not in ("triangle", "triangle_plain", "fdot"):
        assert len(seen) > 1


def test_a_runtime_bound_pipeline_is_timed_from_its_trips():
    s = allo.customize(triangle)
    s.pipeline("j")
    mod = s.build()
    assert mod.estimate(*_tri(np.random.default_rng(0))) is not None
    ctl = mod.design.designs["triangle"].control
    assert ctl.pipelines, "the triangle's inner loop should be pipelined"


@seed(20261202)
@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(fk.samples())
def test_random_kernels_estimate_their_cycles(tmp_path_factory, sample):
    kernel, path = fk.load_kernel(sample, Path(tmp_path_factory.mktemp("cm", numbered=True)))
    try:
        s = allo.customize(kernel)
    except allo.AlloError:
        return
    fk.apply_schedule(s, sample.schedule, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mod = s.build()
        except allo.AlloError:
            return
    _check(mod, sample.inputs)


def test_stall_source_is_refused_not_guessed():
    s = allo.customize(triangle)
    mod = s.build(stall_source=True)
    with pytest.raises(CycleModelError, match="stall"):
        mod.estimate(*_tri(np.random.default_rng(0)))
    with pytest.raises(CycleModelError, match="stall_source"):
        s.build(target="cycles", stall_source=True)


def test_cycles_target_reports_its_cycles():
    fast = allo.customize(triangle).build(target="cycles")
    args = _tri(np.random.default_rng(4))
    fast(*copy_args(args))
    assert fast.report().to_dict()["cycles"] == fast.cycles > 0


def test_the_control_slice_drops_the_datapath_decisions_do_not_need():
    from allo_rtl.ir import nodes as ir
    from allo_rtl.sim.control_slice import control_slice, decisions
    mod = allo.customize(counted).build(target="cycles")
    top = mod.design.module.top_func
    keep = control_slice(top, decisions(mod.estimator.controls))
    kept = {type(s).__name__ for s in ir.walk_stmts(top.body) if id(s) in keep}
    dropped = [s for s in ir.walk_stmts(top.body) if id(s) not in keep]
    assert kept == {"For", "If"}, kept          # the bound n and X decide; acc does not
    assert dropped and all(isinstance(s, ir.Assign) and s.var.name in ("acc", "ret0")
                           for s in dropped)          # acc and the result it becomes
    s = allo.customize(triangle)
    s.pipeline("j")
    fast = s.build(target="cycles")
    top = fast.design.module.top_func
    keep = control_slice(top, decisions(fast.estimator.controls))
    assert not any(isinstance(s, ir.Store) and id(s) in keep for s in ir.walk_stmts(top.body))
