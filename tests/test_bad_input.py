"""Malformed kernels: each must raise AlloError at customize (or build) naming this file and
the offending line, showing the line, with a hint where one helps. Never an internal traceback.

The expected line is found by a marker comment ``# <-- error`` on the offending line, so the
assertions survive edits of this file.
"""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Fixed, Int, float32, int32

GLOBAL_TABLE = np.arange(4, dtype=np.int32)


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if "# <-- error" in text:
            return first + k
    raise AssertionError(f"{fn.__name__} has no error marker")


def missing_annotation(A: int32[4], b) -> int32:  # <-- error
    return A[0]


def unknown_name(A: int32[4]) -> int32:
    return A[0] + undefined_thing  # <-- error  # noqa: F821


def uses_break(A: int32[4]):
    for i in range(4):
        if A[i] > 0:
            break  # <-- error


def uses_try(A: int32[4]):
    try:  # <-- error
        A[0] = 1
    except ValueError:
        pass


def nested_def(A: int32[4]):
    def inner(x):  # <-- error
        return x
    A[0] = 1


def array_slice(A: int32[8]) -> int32:
    return A[0:4]  # <-- error


def wrong_index_count(A: int32[4, 4]) -> int32:
    return A[1]  # <-- error


def float_bitop(x: float32) -> float32:
    return x & 1  # <-- error


def store_to_constant(i: int32):
    GLOBAL_TABLE[i] = 3  # <-- error


def shape_mismatch(A: int32[4], B: int32[5]) -> int32[4]:
    return A + B  # <-- error


def matmul_mismatch(A: int32[4, 3], B: int32[4, 3]) -> int32[4, 3]:
    return allo.matmul(A, B)  # <-- error


def bad_width(A: "Int(0)[4]"):  # <-- error
    pass


def bad_fixed(x: "Fixed(4, 8)"):  # <-- error
    pass


def recursive(n: int32) -> int32:
    return recursive(n - 1)  # <-- error


def calls_python(A: int32[4]) -> int32:
    return len(A)  # <-- error


# (allo.grid(n, 4) with a run-time n is valid Allo and runs: tests/test_allo_compat_loops.py)


def early_return(A: int32[4]) -> int32:
    for i in range(4):
        return A[i]  # <-- error
    return 0


def callee_arr(X: int32[4]) -> int32:
    return X[0]


def wrong_sub_arg(A: int32[8]) -> int32:
    return callee_arr(A)  # <-- error


def bit_store(x: float32) -> float32:
    x[3] = 1  # <-- error
    return x


def assign_loop_index(A: int32[4]):
    for i in range(4):
        i = 2  # <-- error
        A[i] = 0


def while_else(A: int32[4]):
    while A[0] > 0:  # <-- error
        A[0] = A[0] - 1
    else:
        A[1] = 0


def redeclared(x: int32) -> int32:
    y: int32 = x
    y: Int(8) = 2  # <-- error
    return y


def not_a_type(x: int32) -> int32:
    y: 5 = x  # <-- error
    return y


def zero_step(A: int32[4]):
    for i in range(0, 4, 0):  # <-- error
        A[i] = 0


def attribute_of_value(x: int32) -> int32:
    return x.real  # <-- error


def shadowed_index(A: int32[4]):
    for i in range(4):
        for i in range(2):  # <-- error
            A[i] = 0


BAD = [attribute_of_value, shadowed_index, missing_annotation, unknown_name, uses_break, uses_try, nested_def, array_slice,
       wrong_index_count, float_bitop, store_to_constant, shape_mismatch, matmul_mismatch,
       bad_width, bad_fixed, recursive, calls_python, early_return,
       wrong_sub_arg, bit_store, assign_loop_index, while_else, redeclared, not_a_type, zero_step]


@pytest.mark.parametrize("kernel", BAD, ids=[k.__name__ for k in BAD])
def test_error_names_file_and_line(kernel):
    line = _marked_line(kernel)
    with pytest.raises(allo.AlloError) as info:
        allo.customize(kernel)
    text = str(info.value)
    assert f"{__file__}:{line}:" in text, text
    source_line = inspect.getsourcelines(kernel)[0][line - inspect.getsourcelines(kernel)[1]]
    assert source_line.strip().split("#")[0].strip() in text      # the offending line is shown
    assert "^" in text                                               # with a caret


def test_there_are_at_least_15_malformed_kernels():
    assert len(BAD) >= 15


def test_hints_say_what_to_do():
    with pytest.raises(allo.AlloError) as info:
        allo.customize(missing_annotation)
    assert info.value.hint and "int32" in info.value.hint


def float_sin(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = allo.log2(A[i])  # <-- error
    return B


def test_backend_refusal_names_the_line():
    # log2 has no hardware unit yet (exp/log/tanh/sin/cos/tan/power and the arithmetic do)
    s = allo.customize(float_sin)
    line = _marked_line(float_sin)
    with pytest.raises(allo.AlloError) as info:
        s.build()
    assert f"{__file__}:{line}:" in str(info.value)
