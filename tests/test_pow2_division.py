"""Integer division by a constant power of two becomes shifts and masks (hls/optable.py
``*_pow2``, primitives/arith.py), not the iterative divider: every dividend of int8 and uint8
against Python-int references of Allo's rules (``/`` truncates, ``//`` floors, ``%`` keeps the
dividend's sign; the README's operand casts), in hardware; and a loop using ``i % 2`` now
pipelines."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int8, int32, uint8
from source_modules import module_from_source

VALUES = {"int8": np.arange(-128, 128, dtype=np.int8),
          "uint8": np.arange(0, 256, dtype=np.uint8)}


def _trunc(a, c):
    return -((-a) // c) if a < 0 else a // c


REFERENCE = {"/": _trunc, "//": lambda a, c: a // c, "%": lambda a, c: a - _trunc(a, c) * c}


def _source_kernel(op, c, dtype, tmp_path):
    # kernels are read from their source file: write one per case
    src = (f"from allo_rtl.ir.types import {dtype}\n\n"
           f"def div(A: {dtype}[256]) -> {dtype}[256]:\n"
           f"    B: {dtype}[256] = 0\n"
           f"    for i in range(256):\n"
           f"        B[i] = A[i] {op} {c}\n"
           f"    return B\n")
    stem = f"k_{op.replace('/', 'd').replace('%', 'm')}_{c}_{dtype}"
    return module_from_source(tmp_path, stem, src).div


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("op", ["/", "//", "%"])
@pytest.mark.parametrize("c", [1, 4, 64])
def test_every_dividend_matches_allo_rules(op, c, dtype, tmp_path):
    kernel = _source_kernel(op, c, dtype, tmp_path)
    A = VALUES[dtype]
    mod = allo.customize(kernel).build()
    # / and // divide in the dividend's width, signed (the literal is signed): uint8 200 is
    # -56; % works in a type holding both operands (int32 here), so 200 stays 200
    cast = (lambda a: a - 256 if a >= 128 else a) if op != "%" else (lambda a: a)
    expected = np.array([REFERENCE[op](cast(int(a)), c) & 0xFF for a in A]).astype(np.uint8)
    expected = expected.view(np.int8) if dtype == "int8" else expected
    assert np.array_equal(mod(A.copy()), expected)
    units = str(mod.report()).split("functional units:")[1].split("\n")[0]
    assert "div" not in units.replace("div_pow2", "") and "mod " not in units + " "


def parity_sum(A: int32[16]) -> int32:
    s: int32 = 0
    for i in range(16):
        if i % 2 == 1:
            s = s + A[i]
    return s


def test_a_parity_test_no_longer_blocks_pipelining():
    A = np.arange(16, dtype=np.int32) * 3 - 20
    sch = allo.customize(parity_sum)
    sch.pipeline("i")
    mod = sch.build()
    assert int(mod(A)) == int(A[1::2].sum())
    top = mod.report().to_dict()["functions"][0]
    row = next(r for r in top["loops"] if r["name"] == "i")
    assert row["pipelined"] and row["ii"] == 1


def by_minus_128(A: int8[256]) -> int8[256]:
    B: int8[256] = 0
    for i in range(256):
        B[i] = A[i] // 128               # 128 as an int8 is -128: a real division
    return B


def test_a_literal_that_wraps_negative_is_not_taken_for_a_power_of_two():
    A = VALUES["int8"]
    hw = allo.customize(by_minus_128).build()(A.copy())
    ref = allo.customize(by_minus_128).build(target="python")(A.copy())
    assert np.array_equal(hw, ref)
