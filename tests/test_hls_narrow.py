"""Demanded-bits narrowing: arithmetic feeding an int32 store is computed in 32 bits; values
that a comparison or a division reads keep their full Allo width."""
import numpy as np

import allo_rtl as allo
from allo_rtl.hls.cdfg import Block, build_cdfg, LoopRegion
from allo_rtl.hls.narrow import narrow_block
from allo_rtl.ir.semantics import binop
from allo_rtl.ir.types import int32


def mac(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        C[i] = C[i] + A[i] * B[i]


def compare_sum(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        C[i] = (A[i] + B[i]) > 0
        C[i] = C[i] + (A[i] * B[i]) / 3


def _body_block(fn):
    f = allo.customize(fn).top
    loop = next(r for r in build_cdfg(f).body if isinstance(r, LoopRegion))
    return next(r for r in loop.body if isinstance(r, Block))


def test_store_of_int32_narrows_mul_and_add_to_32_bits():
    block = _body_block(mac)
    before = {op.info.symbol: op.type.bits for op in block.ops if op.info.semantics is binop}
    assert before == {"*": 64, "+": 65}
    narrow_block(block)
    after = {op.info.symbol: op.type.bits for op in block.ops if op.info.semantics is binop}
    assert after == {"*": 32, "+": 32}


def test_compare_and_division_keep_full_width():
    block = _body_block(compare_sum)
    narrow_block(block)
    widths = {op.info.symbol: op.type.bits for op in block.ops if op.info.semantics is binop}
    assert widths["*"] == 64                  # the division reads all 64 bits
    adds = [op for op in block.ops if op.opcode == "add"]
    assert any(op.type.bits == 33 for op in adds)     # (A + B) > 0 needs the carry bit


def test_narrowed_hardware_still_matches_numpy_at_the_extremes():
    A = np.array([2**31 - 1, -2**31, -1, 12345], dtype=np.int32)
    B = np.array([2**31 - 1, -2**31, 2**31 - 1, -54321], dtype=np.int32)
    C = np.array([5, -5, 2**31 - 1, 0], dtype=np.int32)
    hw = C.copy()
    allo.customize(mac).build()(A, B, hw)
    assert np.array_equal(hw, (C + A.astype(np.int64) * B).astype(np.int32))
    hw = C.copy()
    allo.customize(compare_sum).build()(A, B, hw)
    a, b = A.astype(np.int64), B.astype(np.int64)
    first = (a + b > 0).astype(np.int64)
    exact = np.array([int(p) // 3 if p >= 0 else -(-int(p) // 3) for p in a * b])  # C division
    assert np.array_equal(hw, (first + exact).astype(np.int32))
