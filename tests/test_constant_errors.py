"""Impossible types and constant nonsense are AlloErrors at the user's line (issue 16):
``Int(0)`` and friends (still ValueErrors too, as before), a negative constant shift, a
constant bit index outside the value."""
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Fixed, Int, UFixed, UInt, int32, int64


def line_of(text: str) -> int:
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


@pytest.mark.parametrize("make, needle, message", [
    (lambda: Int(0), "lambda: Int(0)", "bit width must be between 1 and 16777215, not 0"),
    (lambda: Int(1 << 24), "lambda: Int(1 << 24)", "not 16777216"),   # past MLIR's limit
    (lambda: UInt(0), "lambda: UInt(0)", "not 0"),
    (lambda: Fixed(8, 10), "lambda: Fixed(8, 10)", "fraction bits .* between 0 and 8, not 10"),
    (lambda: UFixed(4, -1), "lambda: UFixed(4, -1)", "not -1"),
    (lambda: int32[0], "lambda: int32[0]", "positive integers, not 0"),
])
def test_impossible_types_are_allo_errors_at_the_users_line(make, needle, message):
    with pytest.raises(allo.AlloError, match=message) as info:
        make()
    assert isinstance(info.value, ValueError)            # old `except ValueError` still works
    assert (info.value.loc.file, info.value.loc.line) == (__file__, line_of(needle))


def bad_string_annotation(A: "Int(0)[4]") -> int32:      # evaluated by the frontend
    return 0


def test_impossible_type_in_a_string_annotation_names_the_kernel_line():
    with pytest.raises(allo.AlloError, match="bad type annotation: bit width") as info:
        allo.customize(bad_string_annotation)
    assert info.value.loc.line == line_of("def bad_string_annotation")
    assert "<unknown>" not in str(info.value) and ":1:" not in info.value.message


def negative_shift(x: int32) -> int32:
    return x << -1


def negative_right_shift(x: int32) -> int32:
    return x >> -3


def bit_40(x: int32) -> int32:
    return x[40]


def bit_minus_1(x: int32) -> int32:
    return x[-1]


def shift_40(x: int32) -> int32:
    return x << 40


def shift_out_right(x: int32) -> int32:
    return x >> 32


def literal_shift() -> int64:
    y: int64 = 1 << 40
    return y


def narrow_shift(b: UInt(3)) -> UInt(3):
    return b << 3


@pytest.mark.parametrize("kernel, needle, message", [
    (shift_40, "return x << 40", r"shift of a 32-bit int32 by 40: every bit is shifted out"),
    (shift_out_right, "return x >> 32", r"by 32: .*always 0 or -1"),
    (literal_shift, "y: int64 = 1 << 40", r"int32 by 40"),
    (narrow_shift, "return b << 3", r"3-bit UInt\(3\) by 3"),
    (negative_shift, "return x << -1", r"shift by a negative amount \(-1\)"),
    (negative_right_shift, "return x >> -3", r"negative amount \(-3\)"),
    (bit_40, "return x[40]", r"bit 40 does not exist in int32 \(bits 0\.\.31\)"),
    (bit_minus_1, "return x[-1]", r"bit -1 does not exist in int32"),
])
def test_constant_nonsense_is_refused_at_its_line(kernel, needle, message):
    with pytest.raises(allo.AlloError, match=message) as info:
        allo.customize(kernel)
    assert (info.value.loc.file, info.value.loc.line) == (__file__, line_of(needle))


def top_bit(x: int32) -> int32:
    return x[31]


def test_the_top_bit_is_still_accepted():
    ref = allo.customize(top_bit).build(target="python")
    for x in (-2**31, -1, 0, 2**31 - 1, 5):
        assert ref(x) == (x >> 31) & 1                    # Python int: bit 31 of x


def widest_shifts(x: int32) -> (int32, int32, int64):
    return x << 31, x >> 31, int64(x) << 40


def test_shifts_inside_the_width_are_accepted():
    # the hint's rewrite of `1 << 40` works, and width - 1 is still a shift
    for target in ("python", None):
        run = allo.customize(widest_shifts).build(target=target)
        for x in (-2**31, -1, 0, 1, 2**31 - 1, 12345):
            lo = ((x << 31) + 2**31) % 2**32 - 2**31
            wide = ((x << 40) + 2**63) % 2**64 - 2**63
            assert run(x) == (lo, x >> 31, wide), x
