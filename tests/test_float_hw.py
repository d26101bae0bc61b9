"""float32 through the default build (issue 14): small kernels on the pipelined IEEE units,
bit for bit against numpy float32 evaluated in the source's operation order (written here,
independently of the compiler) and against the interpreter.

NaN: every NaN the hardware computes is the canonical 0x7FC00000 (numpy keeps payloads or
gives x86's 0xFFC00000), so a NaN of the numpy reference only requires a NaN; the interpreter
canonicalizes as the hardware does and is compared bit for bit everywhere.
"""
import math
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir.types import Fixed, float32, int32

F32 = np.float32
CANONICAL_NAN = 0x7FC00000


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).view(np.uint32)


def edge_values() -> np.ndarray:
    """±0, the smallest and largest subnormals and normals, ±inf, NaN, ties and huge/tiny."""
    pos = [0x00000000, 0x00000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0x3F800000,
           0x3F800001, 0x4B800001, 0x33800000, 0x7F000000, 0x00400000, 0x3FC00000]
    out = pos + [p | 0x80000000 for p in pos] + [0x7FC00000, 0x7FA00001, 0xFFC00000]
    return np.array(out, dtype=np.uint32).view(np.float32)


def pairs(n_random: int, seed: int):
    """Operand arrays (a, b): every pair of edge values, then random bit patterns and
    random normal values."""
    e = edge_values()
    a, b = np.repeat(e, e.size), np.tile(e, e.size)
    rng = np.random.default_rng(seed)
    ra = rng.integers(0, 1 << 32, n_random, dtype=np.uint64).astype(np.uint32).view(np.float32)
    rb = rng.integers(0, 1 << 32, n_random, dtype=np.uint64).astype(np.uint32).view(np.float32)
    na = rng.standard_normal(n_random).astype(np.float32)
    nb = (rng.standard_normal(n_random) * 2.0 ** rng.integers(-30, 30, n_random)).astype(
        np.float32)
    return np.concatenate([a, ra, na]), np.concatenate([b, rb, nb])


def assert_float_equal(got, ref, what=""):
    """Bits equal where the reference is a number; NaN where it is NaN, and then the
    canonical NaN (what the units give)."""
    got, ref = np.asarray(got, dtype=np.float32), np.asarray(ref, dtype=np.float32)
    nan = np.isnan(ref)
    assert np.array_equal(np.isnan(got), nan), f"{what}: NaN positions differ"
    bad = np.flatnonzero(bits(got)[~nan] != bits(ref)[~nan])
    assert bad.size == 0, (f"{what}: {bad.size} values differ, first got "
                           f"{got[~nan][bad[0]]!r} want {ref[~nan][bad[0]]!r}")


def assert_canonical_nans(got, what=""):
    got = np.asarray(got, dtype=np.float32)
    assert np.all(bits(got)[np.isnan(got)] == CANONICAL_NAN), f"{what}: a NaN is not canonical"


def run_both(s, *args, **build):
    """(hardware results, interpreter results, the module) on copies of ``args``."""
    hw_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    py_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    mod = s.build(**build)
    hw = mod(*hw_args)
    py = s.build(target="python")(*py_args)
    return hw, py, mod


def assert_same_as_interpreter(hw, py):
    hw = hw if isinstance(hw, tuple) else (hw,)
    py = py if isinstance(py, tuple) else (py,)
    for h, p in zip(hw, py):
        h, p = np.asarray(h), np.asarray(p)
        assert h.dtype == p.dtype
        if h.dtype == np.float32:
            assert np.array_equal(bits(h), bits(p)), "hardware and interpreter bits differ"
        else:
            assert np.array_equal(h, p)


def fadd_latency() -> int:
    return TimingModel("generic").float_unit("fadd")["stages"]


# --- element-wise add / sub / mul on edge pairs and random operands -----------------------
N = 256


def vec_ops(A: float32[256], B: float32[256]) -> (float32[256], float32[256], float32[256],
                                                   float32[256]):
    S: float32[256] = 0.0
    D: float32[256] = 0.0
    P: float32[256] = 0.0
    Q: float32[256] = 0.0
    for i in range(256):
        S[i] = A[i] + B[i]
        D[i] = A[i] - B[i]
        P[i] = A[i] * B[i]
        Q[i] = A[i] / B[i]
    return S, D, P, Q


@pytest.mark.parametrize("chunk", range(4))
def test_vector_add_sub_mul_bit_exact(chunk):
    a, b = pairs(128, seed=1)
    # the edge pairs first (three quarters of them), then random ones
    a = np.resize(np.roll(a, -chunk * N), N)
    b = np.resize(np.roll(b, -chunk * N), N)
    with np.errstate(all="ignore"):
        ref = (a + b, a - b, a * b, a / b)
    s = allo.customize(vec_ops)
    hw, py, _ = run_both(s, a, b)
    for got, want, what in zip(hw, ref, ("+", "-", "*", "/")):
        assert_float_equal(got, want, what)
        assert_canonical_nans(got, what)
    assert_same_as_interpreter(hw, py)


def add_sub_mul(A: float32[128], B: float32[128]) -> (float32[128], float32[128],
                                                     float32[128]):
    S: float32[128] = 0.0
    D: float32[128] = 0.0
    P: float32[128] = 0.0
    for i in range(128):
        S[i] = A[i] + B[i]
        D[i] = A[i] - B[i]
        P[i] = A[i] * B[i]
    return S, D, P


def test_ecp5_build_runs_the_dsp_shift_units_bit_exact():
    """An ECP5 build takes the adder and multiplier whose shifters are partly DSP blocks
    (timing data's options), at their own latency, and gives numpy's bits."""
    a, b = pairs(64, seed=7)
    a, b = np.resize(a, 128 * 3), np.resize(np.roll(b, 5), 128 * 3)
    mod = allo.customize(add_sub_mul).build(family="ecp5")
    py = allo.customize(add_sub_mul).build(target="python")
    options = mod.design.designs["add_sub_mul"].unit_options
    assert options["fadd"] == {"dsp_shifts": True} and options["fmul"] == {"dsp_shifts": True}
    assert "fdiv" not in options
    for k in range(3):
        x, y = a[128 * k:128 * (k + 1)].copy(), b[128 * k:128 * (k + 1)].copy()
        with np.errstate(all="ignore"):
            ref = (x + y, x - y, x * y)
        hw = mod(x.copy(), y.copy())
        for got, want, what in zip(hw, ref, ("+", "-", "*")):
            assert_float_equal(got, want, what)
            assert_canonical_nans(got, what)
        assert_same_as_interpreter(hw, py(x.copy(), y.copy()))


# --- dot product: a float recurrence, sequential and pipelined ---------------------------
def dot(A: float32[32], B: float32[32]) -> float32:
    acc: float32 = 0.0
    for i in range(32):
        acc += A[i] * B[i]
    return acc


def dot_ref(a, b):
    acc = F32(0.0)
    for x, y in zip(a, b):                 # source order: ((0 + a0 b0) + a1 b1) + ...
        acc = F32(acc + F32(x * y))
    return acc


def dot_inputs(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(32).astype(np.float32)
    b = (rng.standard_normal(32) * 1e3).astype(np.float32)
    return a, b


@pytest.mark.parametrize("pipelined", [False, True])
def test_dot_product_keeps_source_order(pipelined):
    a, b = dot_inputs(2)
    s = allo.customize(dot)
    if pipelined:
        s.pipeline("i")
    hw, py, mod = run_both(s, a, b)
    assert_float_equal(hw, dot_ref(a, b))
    assert_same_as_interpreter(hw, py)
    # a reassociated sum differs in the last bits for these inputs: the order matters
    assert bits(dot_ref(a, b)) != bits(np.float32(np.dot(a.astype(np.float64),
                                                          b.astype(np.float64))))
    if pipelined:
        (loop,) = [r for r in mod.report().to_dict()["functions"][0]["loops"]]
        assert loop["pipelined"] and loop["ii"] == fadd_latency()
        assert "recurrence through variable acc" in loop["note"]
        assert f"fadd at line" in loop["note"] and f"{fadd_latency()} cycles" in loop["note"]


def test_dot_product_under_stalls():
    a, b = dot_inputs(3)
    for pipelined in (False, True):
        s = allo.customize(dot)
        if pipelined:
            s.pipeline("i")
        plain = s.build()
        want = plain(a.copy(), b.copy())
        held = s.build(stall_source=True)
        got = held(a.copy(), b.copy())
        assert bits(got) == bits(want) == bits(dot_ref(a, b))
        assert held.stall_cycles > 0
        assert held.cycles == plain.cycles + held.stall_cycles


# --- compare + select, and if on a float compare -----------------------------------------
def compare_kernel(A: float32[64], B: float32[64]) -> (float32[64], int32[64]):
    M: float32[64] = 0.0
    R: int32[64] = 0
    for i in range(64):
        M[i] = A[i] if A[i] < B[i] else B[i]
        r: int32 = 0
        if A[i] == B[i]:
            r += 1
        if A[i] != B[i]:
            r += 2
        if A[i] <= B[i]:
            r += 4
        if A[i] > B[i]:
            r += 8
        if A[i] >= B[i]:
            r += 16
        R[i] = r
    return M, R


def test_compare_select_and_if_on_float_predicates():
    e = edge_values()
    rng = np.random.default_rng(4)
    a = np.concatenate([e, rng.choice(e, 64 - e.size)]).astype(np.float32)
    b = np.concatenate([rng.permutation(e), rng.choice(e, 64 - e.size)]).astype(np.float32)
    b[:8] = a[:8]                                # equal pairs (NaN == NaN is false)
    b[8] = -a[8] if a[8] == 0 else b[8]
    s = allo.customize(compare_kernel)
    (m, r), py, _ = run_both(s, a, b)
    want_m = np.array([x if x < y else y for x, y in zip(a, b)], dtype=np.float32)
    # Allo's != is ordered (MLIR "one"): false when either operand is NaN, unlike numpy's
    want_r = np.array([(x == y) + 2 * (x < y or x > y) + 4 * (x <= y) + 8 * (x > y) +
                       16 * (x >= y) for x, y in zip(a.tolist(), b.tolist())], dtype=np.int32)
    assert any(math.isnan(x) or math.isnan(y) for x, y in zip(a.tolist(), b.tolist()))
    assert np.array_equal(bits(m), bits(want_m))         # a select copies bits, NaNs too
    assert np.array_equal(r, want_r)
    assert_same_as_interpreter((m, r), py)


# --- conversions: int -> float -> int, Fixed <-> float -----------------------------------
def convert_kernel(X: int32[32]) -> (float32[32], int32[32]):
    F: float32[32] = 0.0
    Y: int32[32] = 0
    for i in range(32):
        f: float32 = float32(X[i])
        F[i] = f
        Y[i] = int32(f * 0.75)
    return F, Y


def test_int_to_float_to_int():
    ends = [0, 1, -1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 24) - 1, 2 ** 31 - 1,
            -(2 ** 31), 2 ** 31 - 64, 123456789, -987654321]
    rng = np.random.default_rng(5)
    x = np.array(ends + list(rng.integers(-2 ** 31, 2 ** 31, 32 - len(ends))), dtype=np.int32)
    s = allo.customize(convert_kernel)
    (f, y), py, _ = run_both(s, x)
    want_f = x.astype(np.float32)                         # numpy rounds to nearest even
    assert np.array_equal(bits(f), bits(want_f))

    def trunc_c(v):        # C truncation; out of range -> INT_MIN (documented choice)
        v = float(v)
        if math.isnan(v) or not -2 ** 31 <= math.trunc(v) <= 2 ** 31 - 1:
            return -2 ** 31
        return math.trunc(v)
    want_y = np.array([trunc_c(F32(v * F32(0.75))) for v in want_f], dtype=np.int32)
    assert np.array_equal(y, want_y)
    assert_same_as_interpreter((f, y), py)


def float_to_int_kernel(A: float32[32]) -> int32[32]:
    Y: int32[32] = 0
    for i in range(32):
        Y[i] = int32(A[i])
    return Y


def test_float_to_int_edges():
    e = edge_values()
    extra = np.array([2.5, -2.5, 2147483520.0, 2147483648.0, -2147483648.0, -2147483904.0,
                      0.999999, -0.999999], dtype=np.float32)
    a = np.resize(np.concatenate([e, extra]), 32).astype(np.float32)
    s = allo.customize(float_to_int_kernel)
    y, py, _ = run_both(s, a)
    want = []
    for v in a.tolist():
        if math.isnan(v) or math.isinf(v) or not -2 ** 31 <= math.trunc(v) < 2 ** 31:
            want.append(-2 ** 31)
        else:
            want.append(math.trunc(v))
    assert np.array_equal(y, np.array(want, dtype=np.int32))
    assert_same_as_interpreter(y, py)


Q8 = Fixed(16, 8)


def fixed_kernel(X: Q8[16], A: float32[16]) -> (float32[16], Q8[16]):
    F: float32[16] = 0.0
    Y: Q8[16] = 0
    for i in range(16):
        F[i] = float32(X[i]) * A[i]
        Y[i] = Q8(A[i])
    return F, Y


def test_fixed_float_conversions():
    rng = np.random.default_rng(6)
    raw = rng.integers(-2 ** 15, 2 ** 15, 16)
    x = raw / 256.0
    a = (rng.standard_normal(16) * 20).astype(np.float32)
    s = allo.customize(fixed_kernel)
    (f, y), py, _ = run_both(s, x, a)
    want_f = (raw.astype(np.float32) / F32(256)) * a       # exact scaling, one rounding
    assert np.array_equal(bits(f), bits(want_f))
    want_raw = [math.trunc(float(v) * 256) for v in a]
    want_raw = [r if -2 ** 15 <= r < 2 ** 15 else -2 ** 15 for r in want_raw]
    assert np.array_equal(np.asarray(y) * 256, np.array(want_raw, dtype=np.float64))
    assert_same_as_interpreter((f, y), py)


# --- neg / abs / a constant / min / max ---------------------------------------------------
def sign_const_kernel(A: float32[48], B: float32[48]) -> (float32[48], float32[48],
                                                           float32[48]):
    N_: float32[48] = 0.0
    C: float32[48] = 0.0
    M: float32[48] = 0.0
    for i in range(48):
        N_[i] = -A[i] + abs(B[i])
        C[i] = A[i] * 0.1 + 3.0
        M[i] = max(A[i], B[i]) - min(A[i], B[i])
    return N_, C, M


def np_max(x, y):
    return F32("nan") if np.isnan(x) or np.isnan(y) else (x if x > y else y)


def np_min(x, y):
    return F32("nan") if np.isnan(x) or np.isnan(y) else (x if x < y else y)


def test_neg_abs_constant_min_max():
    e = edge_values()
    rng = np.random.default_rng(7)
    a = np.resize(np.concatenate([e, rng.standard_normal(8).astype(np.float32)]), 48).astype(np.float32)
    b = np.resize(np.concatenate([rng.permutation(e), rng.standard_normal(8).astype(np.float32)]),
                  48).astype(np.float32)
    s = allo.customize(sign_const_kernel)
    (n, c, m), py, _ = run_both(s, a, b)
    with np.errstate(all="ignore"):
        want_n = -a + np.abs(b)
        want_c = a * F32(0.1) + F32(3.0)
        want_m = np.array([np_max(x, y) - np_min(x, y) for x, y in zip(a, b)],
                          dtype=np.float32)
    assert_float_equal(n, want_n, "neg/abs")
    assert_float_equal(c, want_c, "constant")
    assert_float_equal(m, want_m, "min/max")
    assert_same_as_interpreter((n, c, m), py)


# --- square root -----------------------------------------------------------------------
def sqrt_kernel(A: float32[64]) -> float32[64]:
    R: float32[64] = 0.0
    for i in range(64):
        R[i] = allo.sqrt(A[i]) * 2.0
    return R


def test_square_root_correctly_rounded():
    e = edge_values()
    rng = np.random.default_rng(9)
    rand = rng.integers(0, 1 << 31, 64 - e.size, dtype=np.uint64).astype(np.uint32)
    a = np.concatenate([e, rand.view(np.float32)]).astype(np.float32)
    s = allo.customize(sqrt_kernel)
    hw, py, _ = run_both(s, a)
    with np.errstate(all="ignore"):
        want = np.sqrt(a) * F32(2.0)            # numpy's float32 sqrt is correctly rounded
    assert_float_equal(hw, want, "sqrt")
    assert_canonical_nans(hw, "sqrt")
    assert_same_as_interpreter(hw, py)


# --- two float adds in one loop body share one adder --------------------------------------
def chained(A: float32[16], B: float32[16]) -> float32[16]:
    C: float32[16] = 0.0
    for i in range(16):
        t: float32 = A[i] + B[i]
        C[i] = t + A[i]
    return C


def test_two_adds_share_one_unit():
    rng = np.random.default_rng(8)
    a = rng.standard_normal(16).astype(np.float32)
    b = (rng.standard_normal(16) * 1e4).astype(np.float32)
    s = allo.customize(chained)
    hw, py, mod = run_both(s, a, b)
    assert_float_equal(hw, (a + b) + a)
    assert_same_as_interpreter(hw, py)
    units = mod.report().to_dict()["functions"][0]["functional_units"]
    assert units.get("fadd32") == 1, units


# --- what hardware does not do yet is refused at its line --------------------------------
def fmod(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = A[i] % 3.0
    return B


def flog2(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = allo.log2(A[i])
    return B


@pytest.mark.parametrize("kernel,what", [(fmod, "float %"), (flog2, "log2()")])
def test_unsupported_float_ops_refused_at_their_line(kernel, what):
    s = allo.customize(kernel)
    with pytest.raises(allo.AlloError) as info:
        s.build()
    assert what in str(info.value) and "not supported in hardware" in str(info.value)
    assert info.value.loc.line == kernel.__code__.co_firstlineno + 3


# --- Icarus and Verilator ------------------------------------------------------------------
def small_float(A: float32[8], B: float32[8]) -> float32:
    acc: float32 = 0.0
    for i in range(8):
        acc += A[i] * B[i] - 0.5
    return acc


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
def test_float_kernel_on_external_simulators(sim):
    e = edge_values()
    a = np.array([1.5, -0.0, e[1], 3e38, 2.0, -7.25, 1e-30, 0.1], dtype=np.float32)
    b = np.array([2.0, 5.0, 0.5, 10.0, -3e-39, 1.0, 1e-30, 0.3], dtype=np.float32)
    want = F32(0.0)
    with np.errstate(all="ignore"):
        for x, y in zip(a, b):
            want = F32(want + F32(F32(x * y) - F32(0.5)))
    s = allo.customize(small_float)
    s.pipeline("i")
    ref = s.build()
    got_ref = ref(a.copy(), b.copy())
    mod = s.build(target=sim)
    got = mod(a.copy(), b.copy())
    assert_float_equal(got, want)
    assert bits(got) == bits(got_ref) and mod.cycles == ref.cycles


# --- both block schedulers and the checker see the units' latency --------------------------
def fma_block(A: float32[4], B: float32[4], C: float32[4]):
    C[0] = A[0] * B[0] + C[1]
    C[2] = A[1] * B[1] - A[2]


@pytest.mark.parametrize("scheduler", ["list", "sdc"])
def test_schedulers_respect_float_latency_and_the_checker_catches_violations(scheduler):
    from allo_rtl.hls.cdfg import Block, build_cdfg
    from allo_rtl.hls.check import ScheduleError, check_block
    from allo_rtl.hls.synthesize import SCHEDULERS
    from allo_rtl.ir import nodes as ir
    f = allo.customize(fma_block).top
    block = next(r for r in build_cdfg(f).body if isinstance(r, Block))
    ext = {id(b) for b in f.params if isinstance(b, ir.Buffer)}
    timing = TimingModel("generic")
    sch = SCHEDULERS[scheduler](block, timing, ext, ())
    check_block(sch, timing)
    stages = {c: timing.float_unit(c)["stages"] for c in ("fadd", "fmul")}
    muls = [op for op in block.ops if op.opcode == "fmul"]
    adds = [op for op in block.ops if op.opcode in ("fadd", "fsub")]
    assert len(muls) == 2 and len(adds) == 2
    for op in muls + adds:
        assert sch.ready[op] - sch.start[op] == stages["fmul" if op in muls else "fadd"]
    for add in adds:
        mul = next(o for o in add.operands if o in muls)
        assert sch.start[add] >= sch.ready[mul]
    assert sch.length >= 1 + stages["fmul"] + stages["fadd"] + 1   # load, fmul, fadd, store
    # an add started one cycle before its product is out is caught
    add = adds[0]
    mul = next(o for o in add.operands if o in muls)
    sch.start[add], sch.ready[add] = sch.ready[mul] - 1, sch.ready[mul] - 1 + stages["fadd"]
    with pytest.raises(ScheduleError) as info:
        check_block(sch, timing)
    assert info.value.kind == "dependence"


def test_checker_refuses_a_bypass_not_from_the_units_register():
    from allo_rtl.hls.check import ScheduleError, check_modulo
    s = allo.customize(dot)
    s.pipeline("i")
    design = s.build().design
    timing = design.timing
    (plan,) = design.designs["dot"].pipelines.values()
    sch = plan.schedule
    check_modulo(sch, timing)
    assert sch.forwarded and sch.ii == fadd_latency()
    (wr,) = [op for op in sch.block.ops if op.info.writes_var and op.var.name == "acc"]
    sch.start[wr] += 1                  # the write no longer in the adder's output cycle
    sch.ready[wr] += 1
    sch.depth += 1
    with pytest.raises(ScheduleError) as info:
        check_modulo(sch, timing)
    assert info.value.kind == "recurrence"
