"""A loop's latch folded into the exits of its body (hls/control_build.py ``latch``): a
pipelined loop inside sequential loops runs again, or the outer loop steps, in the cycle the
pipeline drains, so no cycle passes between its runs. Checked: results against numpy written
here, the cycles against the count worked out from each pipeline's II and depth, under random
stalls (results unchanged, cycles + stalls), on Icarus too, and the verifier's rules."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.control import ControlError, CounterStep, Transition
from allo_rtl.ir.types import int32

N = 6


def rows(A: int32[4, 8], y: int32[4], z: int32[4]):
    for i in range(4):                       # two pipelines: no perfect nest to flatten
        for j in range(8):
            y[i] += A[i, j]
        for j2 in range(8):
            z[i] += A[i, j2] * 2


def triangle(A: int32[N, N], c: int32[N]):
    for i in range(N):
        for k in range(N):
            for j in range(i + 1):           # 1..N trips: the entry computes the bound
                c[j] += A[k, j] * (i + 1)


def _pipe(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    row = next(r for r in top["loops"] if r["name"] == name)
    return row["ii"], row["depth"]


def _build(kernel, *loops, **kw):
    s = allo.customize(kernel)
    for loop in loops:
        s.pipeline(loop)
    return s.build(**kw)


def _ints(shape, seed):
    return np.random.default_rng(seed).integers(-20, 20, shape).astype(np.int32)


def test_a_pipeline_in_a_counted_loop_reruns_in_the_cycle_it_drains():
    A, y, z = _ints((4, 8), 1), _ints(4, 2), _ints(4, 7)
    want_y, want_z = y + A.sum(axis=1), z + 2 * A.sum(axis=1)
    mod = _build(rows, "j", "j2")
    mod(A, y, z)
    assert np.array_equal(y, want_y) and np.array_equal(z, want_z)
    (ii, depth), (ii2, depth2) = _pipe(mod, "j"), _pipe(mod, "j2")
    # the cycle taking start, then 4 times the two pipelines back to back ((8 - 1) x II +
    # depth each; before the fold, one latch cycle more per i)
    assert mod.cycles == 1 + 4 * (7 * ii + depth + 7 * ii2 + depth2)


def _triangle_ref(A, c):
    c = c.astype(np.int64)
    for i in range(N):
        for k in range(N):
            c[: i + 1] += A[k, : i + 1] * (i + 1)
    return c.astype(np.int32)


@pytest.mark.parametrize("target", [None, "icarus"])
def test_a_run_time_bound_pipeline_costs_its_entry_cycle_only(target):
    A, c = _ints((N, N), 3), _ints(N, 4)
    want = _triangle_ref(A, c)
    mod = _build(triangle, "j", target=target)
    mod(A, c)
    assert np.array_equal(c, want)
    ii, depth = _pipe(mod, "j")
    # per (i, k): the entry block's cycle (the bound i + 1), then i + 1 iterations
    per_entry = [1 + i * ii + depth for i in range(N) for _ in range(N)]
    assert mod.cycles == 1 + sum(per_entry)


def test_stalls_change_cycles_not_results():
    A, c = _ints((N, N), 5), _ints(N, 6)
    want = _triangle_ref(A, c)
    plain = _build(triangle, "j")
    plain(A, c.copy())
    held = _build(triangle, "j", stall_source=0x2545)
    got = c.copy()
    held(A, got)
    assert np.array_equal(got, want)
    assert held.stall_cycles > 0 and held.cycles == plain.cycles + held.stall_cycles


def test_the_verifier_refuses_a_loop_stepped_in_a_state_and_on_an_exit():
    mod = _build(triangle, "j")
    ctl = mod.design.designs["triangle"].control
    folded = next(s for s in ctl.states for t in s.transitions
                  if any(isinstance(a, CounterStep) for a in t.actions))
    step = next(a for t in folded.transitions for a in t.actions if isinstance(a, CounterStep))
    other = next(s for s in ctl.states if s.kind == "step")
    other.actions.append(CounterStep(step.loop))
    with pytest.raises(ControlError, match="stepped in states"):
        ctl.check()


def test_the_verifier_refuses_a_pipeline_left_with_a_loop_test_alone():
    mod = _build(rows, "j", "j2")
    ctl = mod.design.designs["rows"].control
    index, _ = ctl.pipelines[-1]
    st = ctl.states[index]
    cond = st.transitions[0].cond                   # drained & i.next in range
    st.transitions.insert(0, Transition(cond.conds[-1], st.transitions[0].target))
    with pytest.raises(ControlError, match="only leave when drained"):
        ctl.check()
