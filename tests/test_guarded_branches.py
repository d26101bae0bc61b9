"""Guarded bodies of pipelined loops: a word several sibling branches read is read once
(hls/sibling_loads.py), and an element accessed only under a condition the loop does not
change is kept in a register under that condition (hls/promote.py ``_guard``).

The shape is syrk's: ``for k: for j: if j <= i: C[i, j] += A[i, k] * B[j, k]``, the inner
``j`` unrolled by pipelining ``k``. Results against numpy (float32 rounded after every
operation) written here and against the interpreter, bit for bit; IIs against the ports and
units the loop needs.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float32, int32

N = 8
M = 4


def lower_products(A: int32[N, N], B: int32[N, N], C: int32[N, N]):
    for i in range(N):
        for k in range(N):
            for j in range(N):
                if j <= i:
                    C[i, j] += A[i, k] * B[j, k]


def lower_products_float(A: float32[N, N], B: float32[N, N], C: float32[N, N]):
    for i in range(N):
        for k in range(N):
            for j in range(N):
                if j <= i:
                    C[i, j] += 1.5 * A[i, k] * B[j, k]


def fan_out(A: int32[N], Out: int32[M, N]):
    for i in range(N):
        for j in range(M):
            if j <= i:
                Out[j, i] = A[i] * (j + 1)
            else:
                Out[j, i] = A[N - 1 - i] - j


def fan_out_updating(A: int32[N], Out: int32[M, N]):
    for i in range(N):
        for j in range(M):
            if j < i:
                A[i] = A[i] + j            # A is stored in the block: its reads stay apart
            Out[j, i] = A[i]


def mixed_conditions(A: int32[N], B: int32[N], acc: int32[2], n: int32):
    for k in range(N):
        acc[0] += A[k]
        if n > 0:
            acc[0] += B[k]                  # acc[0] also outside the branch: stays in memory
        if n > 1:
            acc[1] += B[k]                  # only under n > 1: promoted under it


def _ints(rng, shape):
    return rng.integers(-100, 100, shape).astype(np.int32)


class _Checked:
    """The hardware module; each call also runs the interpreter on copies of the inputs, and
    every array argument and the result must match it bit for bit."""

    def __init__(self, s):
        self.s, self.mod = s, s.build()

    def __call__(self, *args):
        ref = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        want = self.s.build(target="python")(*ref)
        got = self.mod(*args)
        assert np.asarray(got).tobytes() == np.asarray(want).tobytes()
        for a, r in zip(args, ref):
            if isinstance(a, np.ndarray):
                assert a.tobytes() == r.tobytes()
        return got

    def __getattr__(self, name):
        return getattr(self.mod, name)


def _build(kernel, loop, partitions=()):
    s = allo.customize(kernel)
    for name, dim in partitions:
        s.partition(getattr(s, name), dim=dim)
    s.pipeline(loop)
    return _Checked(s)


def _loop(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def _lower_reference(A, B, C):
    out = C.astype(np.int64).copy()
    for i in range(N):
        for k in range(N):
            for j in range(i + 1):
                out[i, j] += int(A[i, k]) * int(B[j, k])
    return ((out + 2**31) % 2**32 - 2**31).astype(np.int32)


def test_syrk_shaped_loop_keeps_each_row_element_in_a_register_at_ii_1():
    rng = np.random.default_rng(11)
    A, B, C0 = _ints(rng, (N, N)), _ints(rng, (N, N)), _ints(rng, (N, N))
    mod = _build(lower_products, "k", [("C", 2), ("B", 1)])
    C = C0.copy()
    mod(A, B, C)
    assert np.array_equal(C, _lower_reference(A, B, C0))
    notes = [p for p in mod.report().to_dict()["promotions"] if p["array"] == "C"]
    assert len(notes) == N and all(p["applied"] for p in notes)
    # A[i, k] read once per iteration (not once per copy of j), C's banks in registers,
    # B's banks one read each: nothing asks for more than one port slot
    assert _loop(mod, "k")["ii"] == 1
    assert mod.reads["A"] == N * N
    # C: each element loaded on entry of the k loop under j <= i (and stored on its exit)
    assert mod.reads["C"] == N * (N + 1) // 2


def test_float_accumulation_under_a_guard_recurs_in_the_adder_alone():
    rng = np.random.default_rng(12)
    A = rng.standard_normal((N, N)).astype(np.float32)
    B = rng.standard_normal((N, N)).astype(np.float32)
    C0 = rng.standard_normal((N, N)).astype(np.float32)
    mod = _build(lower_products_float, "k", [("C", 2), ("B", 1)])
    C = C0.copy()
    mod(A, B, C)
    want = C0.copy()
    for i in range(N):
        for k in range(N):
            for j in range(i + 1):
                want[i, j] = np.float32(want[i, j] + np.float32(np.float32(1.5 * A[i, k]) * B[j, k]))
    assert np.array_equal(C.view(np.uint32), want.view(np.uint32))
    units = json.loads((Path(allo.__file__).parent / "hls" / "timing_data" /
                        "float_units.json").read_text())["families"]["generic"]
    # the register write may take the adder's output in the cycle it leaves the unit, so
    # the recurrence is the adder alone (through memory it was load + fadd + store)
    row = _loop(mod, "k")
    assert row["ii"] == units["fadd"]["stages"], row["note"]


def test_sibling_branches_share_one_read_of_a_word():
    rng = np.random.default_rng(13)
    A, Out0 = _ints(rng, (N,)), _ints(rng, (M, N))
    mod = _build(fan_out, "i", [("Out", 1)])
    Out = Out0.copy()
    mod(A, Out)
    want = np.empty_like(Out0)
    for i in range(N):
        for j in range(M):
            want[j, i] = A[i] * (j + 1) if j <= i else A[N - 1 - i] - j
    assert np.array_equal(Out, want)
    # A[i] under every then branch, A[N - 1 - i] under every else: two reads an iteration
    # through A's one port, each only where some branch that reads it runs
    assert _loop(mod, "i")["ii"] == 2
    assert mod.reads["A"] == sum(any(j <= i for j in range(M)) + any(j > i for j in range(M))
                                 for i in range(N))


def test_a_word_the_block_stores_is_not_read_early():
    rng = np.random.default_rng(14)
    A0, Out0 = _ints(rng, (N,)), _ints(rng, (M, N))
    mod = _build(fan_out_updating, "i", [("Out", 1)])
    A, Out = A0.copy(), Out0.copy()
    mod(A, Out)
    want_A, want = A0.astype(np.int64).copy(), Out0.copy()
    for i in range(N):
        for j in range(M):
            if j < i:
                want_A[i] += j
            want[j, i] = want_A[i]
    assert np.array_equal(A, want_A.astype(np.int32))
    assert np.array_equal(Out, want)


def test_an_element_under_two_conditions_stays_in_memory_and_the_report_says_why():
    rng = np.random.default_rng(15)
    A, B = _ints(rng, (N,)), _ints(rng, (N,))
    for n in (0, 1, 2):
        acc = np.array([3, -4], dtype=np.int32)
        mod = _build(mixed_conditions, "k")
        mod(A, B, acc, np.int32(n))
        want = [3 + int(A.sum()) + (int(B.sum()) if n > 0 else 0),
                -4 + (int(B.sum()) if n > 1 else 0)]
        assert acc.tolist() == want, n
    notes = {p["subscripts"].split(":")[0] + "]": p for p in mod.report().to_dict()["promotions"]
             if p["array"] == "acc"}
    assert not notes["[0]"]["applied"]
    assert "under different conditions" in notes["[0]"]["reason"]
    assert notes["[1]"]["applied"]


NV = 16


def lower_products_16(A: int32[NV, NV], B: int32[NV, NV], C: int32[NV, NV]):
    for i in range(NV):
        for k in range(NV):
            for j in range(NV):
                if j <= i:
                    C[i, j] += A[i, k] * B[j, k]


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
def test_the_syrk_shape_at_16_agrees_on_the_external_simulators(sim):
    # 16 guarded copies per iteration, 16 promoted row elements, 16 B banks: a larger design
    rng = np.random.default_rng(16)
    A, B = (rng.integers(-2**15, 2**15, (NV, NV)).astype(np.int32) for _ in range(2))
    C0 = rng.integers(-2**31, 2**31, (NV, NV), dtype=np.int64).astype(np.int32)
    s = allo.customize(lower_products_16)
    s.partition(s.C, dim=2)
    s.partition(s.B, dim=1)
    s.pipeline("k")
    want = C0.astype(np.int64).copy()
    for i in range(NV):
        for j in range(i + 1):
            want[i, j] += sum(int(A[i, k]) * int(B[j, k]) for k in range(NV))
    want = ((want + 2**31) % 2**32 - 2**31).astype(np.int32)
    interpreted, amaranth, other = C0.copy(), C0.copy(), C0.copy()
    s.build(target="python")(A, B, interpreted)
    default = s.build()
    default(A, B, amaranth)
    ext = s.build(target=sim)
    ext(A, B, other)
    assert np.array_equal(interpreted, want)
    assert np.array_equal(amaranth, want) and np.array_equal(other, want)
    assert ext.cycles == default.cycles
