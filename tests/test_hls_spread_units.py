"""spread-units (hls/spread_units.py): the SDC tie-break that spreads the starts of one shared
unit class over cycles. Checked on hand-analysed blocks and, as properties, on kernel blocks
pushed to crowded optima: every constraint row still holds, the last cycle and the register
cost (written out here, naively) never grow, and neither does any class's busiest cycle."""
from collections import Counter

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.bind import cycle_shared_key
from allo_rtl.hls.cdfg import Block, build_cdfg
from allo_rtl.hls.narrow import narrow_block
from allo_rtl.hls.sdc import Problem, block_problem, solve
from allo_rtl.hls.spread_units import _RegisterCost, _Rows, spread_units
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import float32, int32

TM = TimingModel("generic")


def two_products(A: int32[4], a: int32, b: int32) -> int32:
    # one port: A[0] arrives a cycle before A[1]; its product may start in any cycle from
    # then to the sum's (keeping either A[0] or the product costs one register the same)
    return A[0] * a + A[1] * b


def dot8(A: int32[8], B: int32[8], c: int32) -> int32:
    s: int32 = 0
    for i in range(8):
        s += A[i] * B[i] * c
    return s


def four_products(A: int32[4], a: int32, b: int32, c: int32, d: int32) -> int32:
    return A[0] * a + A[1] * b + A[2] * c + A[3] * d


def ftwo_products(A: float32[4], a: float32, b: float32) -> float32:
    return A[0] * a + A[1] * b          # the float multiplier is pipelined and shared


def _blocks(fn, unroll=()):
    s = allo.customize(fn)
    for loop in unroll:
        s.unroll(loop)
    f = s.lowered_module().top_func
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    # narrowed as synthesis does: a product the sum wraps to 32 bits is a 32-bit value
    return [narrow_block(r) for r in build_cdfg(f).body if isinstance(r, Block)], ext


def _rows_hold(prob: Problem, x) -> bool:
    return all(sum(c * x[k] for k, c in row.items()) >= rhs
               for row, rhs in zip(prob.rows, prob.rhs))


def _register_cost(lp, x) -> int:
    """sum over values of bits x cycles from ready to last use (the LP's second objective)"""
    total = 0
    for o, users in lp.consumers.items():
        last = max(x[u] for u in users)
        total += o.type.hw_bits * max(0, int(last - x[lp.var[o]] - TM.of(o).latency))
    return total


def _peaks(lp, x) -> dict:
    per = Counter((cycle_shared_key(op), int(x[lp.var[op]])) for op in lp.sched
                  if cycle_shared_key(op) is not None)
    peaks = {}
    for (key, _), n in per.items():
        peaks[key] = max(peaks.get(key, 0), n)
    return peaks


def _with_rows(prob, extra):
    p = Problem()
    p.rows, p.rhs = list(prob.rows), list(prob.rhs)
    for v, u, c in extra:
        p.diff(v, u, c)
    return p


def test_two_products_forced_into_one_cycle_are_spread_back():
    (block,), ext = _blocks(two_products)
    lp = block_problem(block, TM, ext)
    m0, m1 = [op for op in lp.sched if op.opcode == "mul"]
    free, _, _ = solve(lp.prob, lp.var, lp.L, lp.consumers, TM)
    # the crowded optimum: the same LP with both products in one cycle costs no more
    same = [(lp.var[m0], lp.var[m1], 0), (lp.var[m1], lp.var[m0], 0)]
    x, _, _ = solve(_with_rows(lp.prob, same), lp.var, lp.L, lp.consumers, TM)
    assert x[lp.L] == free[lp.L]
    assert _register_cost(lp, x) == _register_cost(lp, free)
    assert x[lp.var[m0]] == x[lp.var[m1]]
    cost = _register_cost(lp, x)
    moves = spread_units(lp.sched, x, lp.prob, lp.var, lp.L, lp.consumers, TM)
    assert moves == 1
    assert x[lp.var[m0]] < x[lp.var[m1]]
    assert x[lp.L] == free[lp.L] and _register_cost(lp, x) == cost and _rows_hold(lp.prob, x)


def _crowd(lp, x):
    """Push each shared op into the cycle of another op of its class where every row still
    holds and the register cost does not grow: a crowded optimum the LP could return."""
    cost = _register_cost(lp, x)
    shared = [op for op in lp.sched if cycle_shared_key(op) is not None]
    for op in shared:
        k, old = lp.var[op], x[lp.var[op]]
        for other in shared:
            if other is op or cycle_shared_key(other) != cycle_shared_key(op):
                continue
            x[k] = x[lp.var[other]]
            if x[k] != old and _rows_hold(lp.prob, x) and _register_cost(lp, x) <= cost:
                break
            x[k] = old


@pytest.mark.parametrize("fn, unroll", [(two_products, ()), (four_products, ()),
                                      (ftwo_products, ())],
                         ids=["two_products", "four_products", "ftwo_products"])
def test_spreading_keeps_rows_latency_and_registers_and_lowers_no_peak(fn, unroll):
    blocks, ext = _blocks(fn, unroll)
    crowded_somewhere = False
    for block in blocks:
        lp = block_problem(block, TM, ext)
        x, _, _ = solve(lp.prob, lp.var, lp.L, lp.consumers, TM)
        _crowd(lp, x)
        before = (x[lp.L], _register_cost(lp, x), _peaks(lp, x))
        moves = spread_units(lp.sched, x, lp.prob, lp.var, lp.L, lp.consumers, TM)
        crowded_somewhere |= moves > 0
        assert _rows_hold(lp.prob, x)
        assert x[lp.L] == before[0]
        assert _register_cost(lp, x) <= before[1]
        after = _peaks(lp, x)
        assert all(after[k] <= n for k, n in before[2].items())
        # the walk stops where no single op can leave a busier cycle for a quieter one
        assert spread_units(lp.sched, x, lp.prob, lp.var, lp.L, lp.consumers, TM) == 0
    assert crowded_somewhere


@pytest.mark.parametrize("fn, unroll", [(four_products, ()), (ftwo_products, ()),
                                      (dot8, ("i",))],
                         ids=["four_products", "ftwo_products", "dot8_unrolled"])
def test_windows_and_cost_changes_match_a_brute_force_check(fn, unroll):
    """The cycles the pass may move an op to are exactly those where every row holds, and
    its cost change is the naive cost's, for every op and every cycle of the block."""
    blocks, ext = _blocks(fn, unroll)
    for block in blocks:
        lp = block_problem(block, TM, ext)
        x, _, _ = solve(lp.prob, lp.var, lp.L, lp.consumers, TM)
        rows, cost = _Rows(lp.prob), _RegisterCost(lp.var, lp.consumers, TM)
        base = _register_cost(lp, x)
        for op, k in lp.var.items():
            lo, hi = rows.window(k, x, lp.L)
            here = x[k]
            for t in range(int(x[lp.L]) + 1):
                x[k] = t
                assert (lo <= t <= hi) == _rows_hold(lp.prob, x), (op, t)
                naive = _register_cost(lp, x) - base
                x[k] = here
                assert cost.delta(k, t, x) == naive, (op, t)


def test_the_spread_schedule_computes_the_same_sum_on_two_multipliers():
    # A and B have a port each: the loads take cycles 0-7, so the 16 products fall in the
    # 8 or 9 cycles after them: two multipliers are the fewest, and enough
    mod = allo.customize(dot8)
    mod.unroll("i")
    hw = mod.build()
    rng = np.random.default_rng(3)
    for _ in range(3):
        A, B = (rng.integers(-2**31, 2**31, 8).astype(np.int32) for _ in range(2))
        c = int(rng.integers(-2**31, 2**31))
        total = sum(int(a) * int(b) * c for a, b in zip(A, B))
        expected = (total + 2**31) % 2**32 - 2**31          # int32 wraparound
        assert hw(A, B, c) == expected
    units = hw.design.report_dict()["functions"][0]["functional_units"]
    assert units.get("mul32x32") == 2
