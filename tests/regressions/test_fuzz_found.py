"""Failures the differential fuzzer (tests/fuzz_kernels.py) found, minimized by hand; each test
failed before its fix."""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32


def diagonal(B: int32[4, 4]):
    for i in range(1, 4):
        B[i, i] = 1


def test_unroll_guard_made_constant_is_folded_before_banking():
    # unroll 2 guards the second copy (3 trips); a full unroll then makes the guard 4 < 4 and
    # the dead copy's index 4; banking a Block partition crashed on its bank number 4
    s = allo.customize(diagonal)
    s.unroll("i", 2)
    s.unroll("i", 0)
    s.partition(s.B, allo.Partition.Block, dim=1, factor=4)
    B = np.zeros((4, 4), dtype=np.int32)
    s.build()(B)
    expected = np.diag([0, 1, 1, 1]).astype(np.int32)
    assert np.array_equal(B, expected)
    assert "4:index" not in str(s)          # the dead copy is gone from the IR
