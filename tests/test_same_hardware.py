"""The equivalence tool (allo_rtl/tools/same_hardware.py) that backs "the refactoring did not
change the hardware": a kernel's Verilog with its anonymous nets renumbered is proven the same;
one changed constant is caught and the registers it reaches are named."""
import re

import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from allo_rtl.rtl.build import HardwareDesign
from allo_rtl.tools.same_hardware import main, prove

pytestmark = pytest.mark.board      # runs Yosys


def mac(A: int32[4], B: int32[4]) -> int32:
    acc: int32 = 0
    for i in range(4):
        acc += A[i] * B[i]
    return acc


def scale(x: int32) -> int32:
    return x * 3


def with_call_and_memory(A: int32[4]) -> int32[4]:
    T: int32[4] = 0                      # an on-chip memory
    for i in range(4):
        T[i] = scale(A[i])               # a submodule
    B: int32[4] = 0
    for i in range(4):
        B[i] = T[3 - i]
    return B


def _verilog(kernel=mac):
    return HardwareDesign(allo.customize(kernel).module, "generic").verilog


def _renumbered(v):
    nums = sorted({int(n) for n in re.findall(r"\\\$(\d+)", v)})
    top = max(nums)
    return re.sub(r"\\\$(\d+)", lambda m: f"\\${top + 1 - int(m.group(1))}", v)


def test_renumbered_anonymous_nets_are_the_same_hardware():
    v = _verilog()
    # reverse the numbering of Amaranth's $N nets: same circuit, every anonymous name moved
    shuffled = _renumbered(v)
    assert shuffled != v
    r = prove(v, shuffled)
    assert r.equivalent and r.proven == r.total > 10


def test_submodules_and_memories_are_compared_flattened():
    v = _verilog(with_call_and_memory)
    assert v.count("module ") >= 2      # the callee is its own module in both files
    r = prove(v, _renumbered(v))
    assert r.equivalent


def test_a_changed_constant_is_caught(tmp_path, capsys):
    v = _verilog()
    # the loop counter's increment 1 becomes 2: different hardware, same names
    inc = re.search(r"\$signed\(var_i\) \+ \$signed\(2'h1\)", v)
    assert inc is not None, "expected the loop increment in the generated Verilog"
    mutated = v[:inc.start()] + "$signed(var_i) + $signed(3'h2)" + v[inc.end():]
    r = prove(v, mutated)
    assert not r.equivalent
    assert any("var_i" in u for u in r.unproven)
    (tmp_path / "a.v").write_text(v)
    (tmp_path / "b.v").write_text(mutated)
    assert main([str(tmp_path / "a.v"), str(tmp_path / "b.v")]) == 1
    assert "NOT proven equivalent" in capsys.readouterr().out
