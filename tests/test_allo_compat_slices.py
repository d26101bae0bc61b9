"""Array slices with constant bounds (numpy's basic slicing), read and written, on the
interpreter and hardware, against numpy doing the same on a copy of the inputs."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from source_modules import module_from_source


def region_write(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[2, 3] = 0
    B[0, 0] = 1
    A[0:2, 0:3] = B
    return A


def region_write_ref(a):
    b = np.zeros((2, 3), np.int32)
    b[0, 0] = 1
    a[0:2, 0:3] = b
    return a


def mixed(A: int32[6, 6]) -> int32[3, 2]:
    C: int32[3, 2] = A[1:6:2, -2:]  # steps, negative bounds, open ends (a declared copy)
    A[5, ::2] = A[0, 0] + 1        # an integer index drops a dimension; a scalar fills
    A[0:3] = A[3:6]                # missing dimensions are whole; the source is read first
    D: int32[3, 2] = A[0:3, 4:6]
    return C + D


def mixed_ref(a):
    c = a[1:6:2, -2:].copy()
    a[5, ::2] = a[0, 0] + 1
    a[0:3] = a[3:6].copy()
    return c + a[0:3, 4:6]


def self_fill(A: int32[5]) -> int32[5]:
    A[0:4] = A[0] + 1              # Python reads A[0] once, before the first write
    return A


@pytest.mark.parametrize("target", ["python", None])
@pytest.mark.parametrize("kernel, ref", [(region_write, region_write_ref),
                                         (mixed, mixed_ref),
                                         (self_fill, lambda a: np.concatenate(
                                             [np.full(4, a[0] + 1, np.int32), a[4:]]))])
def test_slices_match_numpy(target, kernel, ref):
    rng = np.random.default_rng(8)
    shape = (5,) if kernel is self_fill else (6, 6)
    a = rng.integers(-1000, 1000, shape).astype(np.int32)
    expected = ref(a.copy())
    got = allo.customize(kernel).build(target=target)(a.copy())
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("body, message", [
    ("A[0:n] = 0", "the stop of an array slice must be a constant"),
    ("A[0:2] = A[0:3]", "cannot assign a int32\\[3\\] array to a slice of shape \\(2,\\)"),
    ("A[3:1] = 0", "selects no element"),
    ("A[::0] = 0", "slice step cannot be zero"),
])
def test_bad_slices_are_refused_at_the_line(tmp_path, body, message):
    mod = module_from_source(tmp_path, "kernel_slice",
                             "import allo_rtl as allo\nfrom allo_rtl.ir.types import int32\n\n"
                             f"def k(A: int32[4], n: int32):\n    {body}\n")
    with pytest.raises(allo.AlloError, match=message) as e:
        allo.customize(mod.k)
    assert "kernel_slice.py:5" in str(e.value)
