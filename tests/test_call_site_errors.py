"""Misused API calls are AlloErrors pointing at the user's own line (issue 16)."""
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32


def _here(text):
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def k(A: int32[4]) -> int32:
    return A[0]


def test_unknown_build_target_points_at_the_build_call():
    s = allo.customize(k)
    with pytest.raises(allo.AlloError, match="unknown build target 'fpga'") as info:
        s.build(target="fpga")                       # the call
    assert (info.value.loc.file, info.value.loc.line) == (__file__, _here('target="fpga")  '))


def test_customize_of_a_non_function_points_at_the_call():
    with pytest.raises(allo.AlloError, match="customize needs a kernel function, not int") as info:
        allo.customize(42)
    assert info.value.loc.line == _here("allo.customize(42)")


def test_board_target_without_board_points_at_the_call():
    with pytest.raises(allo.AlloError, match="needs board=NAME") as info:
        allo.customize(k).build(target="board")
    assert info.value.loc.line == _here('allo.customize(k).build(target="board")')
