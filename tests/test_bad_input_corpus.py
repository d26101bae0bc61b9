"""Bad-input corpus (issue 16): what a new user gets wrong, each case refused with an AlloError
(never a TypeError, ValueError, ... from inside allo-rtl) whose location is the line of *this*
file where the bad thing is written -- the kernel line (marked ``# <-- error``) for kernel
source, the line of the schedule call, build call or ``mod(...)`` call otherwise -- or, for
the few inputs that are meaningful, a documented acceptance with a checked result.

Kernels are parsed and run on the interpreter only (fast); build misuse stops before any
hardware is made. The other bad-input files (test_bad_input.py, test_constant_errors.py,
test_schedule_illegal*.py, test_boundary_range.py, test_call_site_errors.py,
test_array_binding.py, test_schedule_rollback.py) hold the rest of the corpus.
"""
import inspect
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import ConstExpr, Fixed, Int, UInt, float32, int8, int32, uint8

ROM = np.arange(4, dtype=np.int32)


def _marked(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, t in enumerate(lines) if "# <-- error" in t)


def _check(info, line):
    e = info.value
    assert type(e).__module__.startswith("allo_rtl"), type(e)
    assert e.loc is not None and (e.loc.file, e.loc.line) == (__file__, line), str(e)
    assert f"{__file__}:{line}:" in str(e)


# --- 1. kernel source: unsupported Python --------------------------------------------------
def k_lambda(A: int32[4]) -> int32:
    f = lambda x: x + 1  # <-- error  # noqa: E731
    return f(A[0])


def k_listcomp(A: int32[4]) -> int32:
    t: int32 = sum([A[i] for i in range(4)])  # <-- error
    return t


def k_generator(A: int32[4]) -> int32:
    t: int32 = max(A[i] for i in range(4))  # <-- error
    return t


def k_dict(A: int32[4]) -> int32:
    d = {0: A[0]}  # <-- error
    return d[0]


def k_set(A: int32[4]) -> int32:
    s = {A[0], A[1]}  # <-- error
    return A[0]


def k_string(A: int32[4]) -> int32:
    name = "hello"  # <-- error
    return A[0]


def k_fstring(x: int32) -> int32:
    y = f"{x}"  # <-- error
    return x


def k_yield(x: int32) -> int32:
    yield x  # <-- error


def k_varargs(*A: int32):  # <-- error
    pass


def k_kwargs(A: int32[4], **opts):  # <-- error
    pass


def k_default(A: int32[4], n: int32 = 3) -> int32:  # <-- error
    return A[0] + n


def k_raise(x: int32) -> int32:
    if x < 0:
        raise ValueError("negative")  # <-- error
    return x


def k_assert(x: int32) -> int32:
    assert x > 0  # <-- error
    return x


def k_import(x: int32) -> int32:
    import math  # <-- error  # noqa: F401
    return x


def k_global(x: int32) -> int32:
    global ROM  # <-- error
    return x


def k_class(x: int32) -> int32:
    class Foo:  # <-- error
        pass
    return x


def k_del(A: int32[4]) -> int32:
    t: int32 = A[0]
    del t  # <-- error
    return A[0]


def k_continue(A: int32[4]):
    for i in range(4):
        if A[i] > 0:
            continue  # <-- error
        A[i] = 0


def k_for_else(A: int32[4]):
    for i in range(4):  # <-- error
        A[i] = 0
    else:
        A[0] = 1


def k_for_list(A: int32[4]):
    for i in [0, 1, 2]:  # <-- error
        A[i] = 0


def k_enumerate(A: int32[4]):
    for i, v in enumerate(A):  # <-- error
        A[i] = v


def k_walrus(x: int32) -> int32:
    if (y := x + 1) > 3:  # <-- error
        return y
    return x


def k_is(x: int32) -> int32:
    if x is None:  # <-- error
        return 0
    return x


def k_in(x: int32) -> int32:
    if x in (1, 2):  # <-- error
        return 0
    return x


def k_chained_assign(x: int32) -> int32:
    a: int32 = 0
    b: int32 = 0
    a = b = x  # <-- error
    return a + b


def k_two_returns(x: int32) -> int32:
    if x > 0:
        return x  # <-- error
    return -x


def k_unknown_call(x: int32) -> int32:
    return frobnicate(x)  # <-- error  # noqa: F821


def k_print(x: int32) -> int32:
    print(x)  # <-- error
    return x


def k_star_index(A: int32[4, 4]) -> int32:
    return A[..., 0]  # <-- error


def k_starred_call(A: int32[4]) -> int32:
    return min(*A)  # <-- error


def k_async_with(A: int32[4]):
    with open("x") as f:  # <-- error
        A[0] = 1


def k_pow_int(x: int32) -> int32:
    return x ** 2  # <-- error


def k_matmult_op(A: int32[2, 2], B: int32[2, 2]) -> int32[2, 2]:
    return A @ B  # <-- error


def k_range_four(A: int32[4]):
    for i in range(0, 4, 1, 1):  # <-- error
        A[i] = 0


def k_range_float(A: int32[4]):
    for i in range(2.5):  # <-- error
        A[0] = 0


def k_meta_elif_alone(A: int32[4]):
    with allo.meta_elif(True):  # <-- error
        A[0] = 1


def k_constexpr_runtime(x: int32) -> int32:
    n: ConstExpr[int32] = x + 1  # <-- error
    return n


# --- 2. kernel source: types and shapes ------------------------------------------------------
def k_unknown_type(x: int32) -> int32:
    y: int33x = x  # <-- error  # noqa: F821
    return y


def k_bad_annotation_string(A: "int32[[4]]") -> int32:  # <-- error
    return 0


def k_negative_extent(A: "int32[-4]") -> int32:  # <-- error
    return 0


def k_float_index(A: int32[4], f: float32) -> int32:
    return A[f]  # <-- error


def k_index_oob(A: int32[4]) -> int32:
    return A[4]  # <-- error


def k_write_oob(A: int32[4]):
    for i in range(4):
        A[i + 1] = 0  # <-- error


def k_too_many_indices(A: int32[4]) -> int32:
    return A[0, 1]  # <-- error


def k_array_to_scalar(A: int32[4]) -> int32:
    x: int32 = 0
    x = A  # <-- error
    return x


def k_tuple_to_scalar(x: int32) -> int32:
    y: int32 = 0
    y = (x, x)  # <-- error
    return y


def k_unpack_count(x: int32) -> int32:
    a: int32 = 0
    b: int32 = 0
    a, b = x, x, x  # <-- error
    return a


def k_return_shape(A: int32[4]) -> int32[8]:
    return A  # <-- error


def k_return_missing(A: int32[4]) -> int32:  # <-- error
    A[0] = 1


def k_return_array_as_scalar(A: int32[4]) -> int32:
    return A  # <-- error


def k_shift_float(x: float32) -> float32:
    return x << 1  # <-- error


def k_fixed_floordiv(x: Fixed(8, 4)) -> Fixed(8, 4):
    return x // x  # <-- error


def k_fixed_bitand(x: Fixed(8, 4), y: Fixed(8, 4)) -> Fixed(8, 4):
    return x & y  # <-- error


def k_invert_float(x: float32) -> float32:
    return ~x  # <-- error


def k_bit_of_float(x: float32) -> int32:
    return x[3]  # <-- error


def k_slice_too_wide(x: int8) -> int32:
    return x[0:12]  # <-- error


def k_slice_reversed_runtime(x: int32, n: int32) -> int32:
    return x[n:2]  # <-- error


def k_add_shapes(A: int32[4, 4], B: int32[3]) -> int32[4, 4]:
    return A + B  # <-- error


def k_matmul_rank(A: int32[4], B: int32[4]) -> int32[4]:
    return allo.matmul(A, B)  # <-- error


def k_call_arity(A: int32[4]) -> int32:
    return k_helper(A[0])  # <-- error


def k_helper(a: int32, b: int32) -> int32:
    return a + b


def k_call_shape(A: int32[8]) -> int32:
    return k_takes4(A)  # <-- error


def k_takes4(X: int32[4]) -> int32:
    return X[0]


def k_call_scalar_for_array(x: int32) -> int32:
    return k_takes4(x)  # <-- error


def k_rom_store(i: int32):
    ROM[0] = i  # <-- error


def k_list_literal_length() -> int32:
    B: int32[3] = [1, 2]  # <-- error
    return B[0]


def k_list_literal_float_in_int() -> int32:
    B: int32[2] = [1, "a"]  # <-- error
    return B[0]


def k_redeclare_other_type(x: int32) -> int32:
    y: int32 = x
    y: uint8[4] = 0  # <-- error
    return y


def k_cast_of_array(A: int32[4]) -> int32:
    return int8(A)  # <-- error


def k_cast_too_many(x: int32) -> int32:
    return int8(x, x)  # <-- error


def k_minmax_array(A: int32[4]) -> int32:
    return min(A, 3)  # <-- error


def k_abs_two(x: int32) -> int32:
    return abs(x, x)  # <-- error


def k_grid_float(A: int32[4]):
    for i in allo.grid(2.5):  # <-- error
        A[0] = 0


def k_alias_write(A: int32[4]) -> int32[4]:
    C = A  # <-- error
    C[0] = 5
    return C


KERNEL_CASES = [k for name, k in dict(globals()).items()
                if name.startswith("k_") and callable(k) and "# <-- error" in
                inspect.getsource(k)]


@pytest.mark.parametrize("kernel", KERNEL_CASES, ids=lambda k: k.__name__)
def test_bad_kernel_source(kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(allo.AlloError) as info:
            s = allo.customize(kernel)
            s.build(target="python")
    _check(info, _marked(kernel))


# --- 3. schedule primitives misused ---------------------------------------------------------
def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4):
        C[i, j] += A[i, k] * B[k, j]
    return C


def pe(a: int32) -> int32:
    return a + 1


def caller(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in allo.grid(4, name="PE"):
        B[i] = pe(A[i])
    return B


SCHEDULE_CASES = [
    (gemm, lambda s: s.split("q", 2)),
    (gemm, lambda s: s.split("i", 0)),
    (gemm, lambda s: s.split("i", 2.0)),
    (gemm, lambda s: s.split("i", "2")),
    (gemm, lambda s: s.split("i", 9)),
    (gemm, lambda s: s.split(42, 2)),
    (gemm, lambda s: s.split(None, 2)),
    (gemm, lambda s: s.reorder("k", "q")),
    (gemm, lambda s: s.reorder("k", "k")),
    (gemm, lambda s: s.reorder(3, "i")),
    (gemm, lambda s: s.fuse("i", "k")),
    (gemm, lambda s: s.fuse("j", "i")),
    (gemm, lambda s: s.fuse("i", "nope")),
    (gemm, lambda s: s.unroll("q")),
    (gemm, lambda s: s.unroll("k", -2)),
    (gemm, lambda s: s.unroll("k", 1.5)),
    (gemm, lambda s: s.unroll("k", "all")),
    (gemm, lambda s: s.pipeline("q")),
    (gemm, lambda s: s.pipeline("k", 0)),
    (gemm, lambda s: s.pipeline("k", "1")),
    (gemm, lambda s: s.pipeline(["k"])),
    (gemm, lambda s: s.parallel("k")),
    (gemm, lambda s: s.parallel("q")),
    (gemm, lambda s: s.partition(s.A, dim=3)),
    (gemm, lambda s: s.partition(s.A, dim=-1)),
    (gemm, lambda s: s.partition(s.A, dim="1")),
    (gemm, lambda s: s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=0)),
    (gemm, lambda s: s.partition(s.A, allo.Partition.Block, dim=1, factor=5)),
    (gemm, lambda s: s.partition(s.A, 7, dim=1)),
    (gemm, lambda s: s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=-2)),
    (gemm, lambda s: s.partition("nope")),
    (gemm, lambda s: s.partition("zz:A")),
    (gemm, lambda s: s.partition(42)),
    (gemm, lambda s: s.reuse_at(s.C, "k")),
    (gemm, lambda s: s.reuse_at(s.A, "q")),
    (gemm, lambda s: s.reuse_at("nope", "i")),
    (gemm, lambda s: s.buffer_at(s.A, "q")),
    (gemm, lambda s: s.buffer_at(3, "i")),
    (gemm, lambda s: s.compute_at("i", "q")),
    (gemm, lambda s: s.compute_at("k", "i")),
    (gemm, lambda s: s.reshape(s.A, (3, 3))),
    (gemm, lambda s: s.reshape(s.A, (4, -4))),
    (gemm, lambda s: s.reshape(s.A, "4x4")),
    (gemm, lambda s: s.reshape("nope", (16,))),
    (gemm, lambda s: s.inline("nope")),
    (gemm, lambda s: s.inline("gemm")),
    (caller, lambda s: s.inline(42)),
    (gemm, lambda s: s.unfold("nope", [0])),
    (gemm, lambda s: s.unfold("S_i_j_k_0", [5])),
    (gemm, lambda s: s.unfold("S_i_j_k_0", [])),
    (gemm, lambda s: s.unfold("S_i_j_k_0", "i")),
    (caller, lambda s: s.unfold("PE", [0, 0])),
    (caller, lambda s: (s.split("i", 2), s.unroll("PE:q"))),
    (caller, lambda s: s.pipeline("pe:i")),
    (caller, lambda s: s.partition("pe:zz")),
    (gemm, lambda s: s.get_loops("nope")),
    (gemm, lambda s: s.get_loops().S_q_0),
    (gemm, lambda s: s.no_such_primitive("i")),
    (gemm, lambda s: s.get_equivalent_variables(42)),
    (gemm, lambda s: s.split("i")),
    (gemm, lambda s: s.partition(s.A, dim=1, factr=2)),
    (gemm, lambda s: s.reuse_at(s.A)),
    (gemm, lambda s: s.unroll("k", 2, 3)),
    (gemm, lambda s: s.compute_at("i")),
    (gemm, lambda s: s.reshape(s.A)),
    (gemm, lambda s: s.build(targt="python")),
]


@pytest.mark.parametrize("kernel, misuse", SCHEDULE_CASES,
                         ids=[f"{k.__name__}-{n}" for n, (k, _) in enumerate(SCHEDULE_CASES)])
def test_schedule_misuse(kernel, misuse):
    s = allo.customize(kernel)
    before = str(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(allo.AlloError) as info:
            misuse(s)
    _check(info, misuse.__code__.co_firstlineno)
    assert str(s) == before or s.primitives, "a refused primitive left the schedule changed"


# --- 4. build targets misused ----------------------------------------------------------------
def vadd(A: int32[4], x: int32) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + x
    return B


BUILD_CASES = [
    lambda s: s.build(target="fpga"),
    lambda s: s.build(target=42),
    lambda s: s.build(target="board"),
    lambda s: s.build(target="board", board="no-such-board"),
    lambda s: s.build(target="board", board=3),
    lambda s: s.build(family="xyz"),
    lambda s: s.build(clock_ns=-1),
    lambda s: s.build(clock_ns="fast"),
    lambda s: s.build(target="python", no_such_option=1),
    lambda s: s.build(no_such_option=1),
    lambda s: s.build(target="verilog", project=42),
    lambda s: s.build(max_cycles=-5),
    lambda s: s.build(max_cycles="many"),
    lambda s: s.build(stall_source="sometimes"),
    lambda s: s.build(dump=42),
    lambda s: s.build(target="icarus", board="icebreaker"),
    lambda s: s.build(target="board", board="icebreaker", mode="jtag"),
]


@pytest.mark.parametrize("misuse", BUILD_CASES, ids=[str(n) for n in range(len(BUILD_CASES))])
def test_build_misuse(misuse, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = allo.customize(vadd)
    with pytest.raises(allo.AlloError) as info:
        misuse(s)
    _check(info, misuse.__code__.co_firstlineno)


# --- 5. mod(...) misused at run time -----------------------------------------------------------
A4 = np.arange(4, dtype=np.int32)

CALL_CASES = [
    lambda m: m(A4),
    lambda m: m(A4, 1, 2),
    lambda m: m(),
    lambda m: m(np.zeros(5, np.int32), 1),
    lambda m: m(np.zeros((2, 2), np.int32), 1),
    lambda m: m(np.zeros(4, np.float64), 1),
    lambda m: m(np.zeros(4, np.complex64), 1),
    lambda m: m("abcd", 1),
    lambda m: m(None, 1),
    lambda m: m([1, 2, 3, 4], 1),
    lambda m: m(A4, A4),
    lambda m: m(A4, 1.5),
    lambda m: m(A4, 2 ** 40),
    lambda m: m(A4, -2 ** 31 - 1),
    lambda m: m(A4, 1j),
    lambda m: m(A4, "1"),
    lambda m: m(A4, object()),
    lambda m: m(A4, float("nan")),
    lambda m: m(np.array([2 ** 31, 0, 0, 0], dtype=np.int64), 1),
    lambda m: m(A4, x=1),
    lambda m: m(A4, 1, max_cycles=0),
    lambda m: m(A4, 1, max_cycles=2.5),
    lambda m: m(A4, 1, vcd=3, bogus=True),
]
HW_CALL_CASES = [
    lambda m: m(A4, 1, vcd=3),
    lambda m: m(A4, 1, max_cycles=-1),
    lambda m: m(A4, 1, max_cycles=True),
]


@pytest.mark.parametrize("target", ["python", None])
@pytest.mark.parametrize("misuse", CALL_CASES, ids=[str(n) for n in range(len(CALL_CASES))])
def test_call_misuse(misuse, target, _built):
    with pytest.raises(allo.AlloError) as info:
        misuse(_built[target])
    _check(info, misuse.__code__.co_firstlineno)


@pytest.mark.parametrize("misuse", HW_CALL_CASES, ids=[str(n) for n in range(len(HW_CALL_CASES))])
def test_hardware_call_option_misuse(misuse, _built):
    with pytest.raises(allo.AlloError) as info:
        misuse(_built[None])
    _check(info, misuse.__code__.co_firstlineno)


@pytest.fixture(scope="module")
def _built():
    s = allo.customize(vadd)
    return {"python": s.build(target="python"), None: s.build()}


def fixed_in(x: Fixed(12, 4)) -> Fixed(12, 4):
    return x


FIXED_CALLS = [
    lambda m: m(1000.0),
    lambda m: m(float("inf")),
    lambda m: m(np.float32("nan")),
    lambda m: m("1.5"),
]


@pytest.mark.parametrize("misuse", FIXED_CALLS, ids=[str(n) for n in range(len(FIXED_CALLS))])
def test_fixed_point_call_misuse(misuse):
    m = allo.customize(fixed_in).build(target="python")
    with pytest.raises(allo.AlloError) as info:
        misuse(m)
    _check(info, misuse.__code__.co_firstlineno)


# --- 6. documented acceptances: meaningful, with the right result -----------------------------
def test_bool_array_into_an_integer_parameter_is_zero_and_one():
    out = allo.customize(vadd).build(target="python")(np.array([True, False, True, True]), 1)
    np.testing.assert_array_equal(out, [2, 1, 2, 2])


def test_numpy_scalars_and_python_bools_are_numbers():
    out = allo.customize(vadd).build(target="python")(A4, np.int64(5))
    np.testing.assert_array_equal(out, A4 + 5)
    out = allo.customize(vadd).build(target="python")(A4, True)
    np.testing.assert_array_equal(out, A4 + 1)


def test_an_integer_valued_float_scalar_for_fixed_point_is_exact():
    assert allo.customize(fixed_in).build(target="python")(3) == 3.0
    assert allo.customize(fixed_in).build(target="python")(-1.0625) == -1.0625


def uint_floordiv(a: uint8, b: uint8) -> uint8:
    return a // b


def test_floor_division_of_unsigned_values_is_accepted():
    # Allo refuses // on UInt; allo-rtl accepts it (floor = truncation for unsigned values)
    run = allo.customize(uint_floordiv).build(target="python")
    assert [run(a, b) for a, b in ((200, 7), (255, 255), (0, 3))] == [28, 1, 0]


def broadcast_add(A: int32[4, 4], B: int32[4]) -> int32[4, 4]:
    return A + B


def test_whole_array_arithmetic_broadcasts_as_numpy():
    # documented in the README (whole-array arithmetic with numpy broadcasting)
    A = np.arange(16, dtype=np.int32).reshape(4, 4)
    B = np.array([1, -2, 3, -4], dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(broadcast_add).build(target="python")(A, B),
                                  A + B)


def test_the_corpus_has_at_least_150_cases_with_the_other_files():
    here = (len(KERNEL_CASES) + len(SCHEDULE_CASES) + len(BUILD_CASES) + 2 * len(CALL_CASES)
            + len(FIXED_CALLS) + len(HW_CALL_CASES) + 4)
    assert here >= 150
