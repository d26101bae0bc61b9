"""``C = A`` on arrays (issue 16): a kernel copies (Allo's meaning), Python would alias. The
binding is accepted where the two agree (neither array written while both names are in use)
and refused at its line, with the write as a note, where they would differ."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32


def _line(fn, text) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, t in enumerate(lines) if text in t)


def write_copy(A: int32[4]) -> int32[4]:
    C = A
    C[0] = 5
    return C


def write_original(A: int32[4]) -> int32[4]:
    C = A
    A[1] = 7
    return C


def write_in_loop(A: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        A[i] = A[i] + 1
        C = A
    return C


def write_row(A: int32[2, 4]) -> int32[4]:
    R = A[1]
    R[0] = 9
    return R


def bump(X: int32[4]):
    X[0] = X[0] + 1


def pass_to_kernel(A: int32[4]) -> int32[4]:
    C = A
    bump(C)
    return C


@pytest.mark.parametrize("kernel, binding, write", [
    (write_copy, "C = A", "C[0] = 5"),
    (write_original, "C = A", "A[1] = 7"),
    (write_in_loop, "C = A", "A[i] = A[i] + 1"),
    (write_row, "R = A[1]", "R[0] = 9"),
    (pass_to_kernel, "C = A", "bump(C)"),
])
def test_binding_that_python_would_alias_is_refused(kernel, binding, write):
    with pytest.raises(allo.AlloError, match="copies the array .* another name") as info:
        allo.customize(kernel)
    e = info.value
    assert (e.loc.file, e.loc.line) == (__file__, _line(kernel, binding)), str(e)
    assert [(n.file, n.line) for n, _ in e.notes] == [(__file__, _line(kernel, write))]


def read_only(A: int32[4]) -> int32:
    C = A
    t: int32 = 0
    for i in range(4):
        t += C[i] * (i + 1)
    return t


def written_before(A: int32[4]) -> int32[4]:
    A[0] = 3
    C = A
    return C


@pytest.mark.parametrize("target", ["python", None])
def test_binding_where_copy_and_alias_agree_is_accepted(target):
    A = np.array([4, -5, 6, 100], dtype=np.int32)
    got = allo.customize(read_only).build(target=target)(A.copy())
    assert got == int(np.dot(A.astype(np.int64), [1, 2, 3, 4]))
    B = A.copy()
    out = allo.customize(written_before).build(target=target)(B)
    expected = A.copy()
    expected[0] = 3
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(B, expected)            # Python: B is C is A
