"""Allo's rules for a kernel ``customize`` rejects: a declaration is visible only in its block
(if/else branch, loop body), and a rejected kernel raises an error that is also a
``SystemExit`` (Allo's ``customize`` prints the error and exits), keeping its own class."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError, AlloTypeError
from allo_rtl.ir.types import int32


def after_if(a: int32) -> int32:
    if a == 0:
        r: int32 = 1
    else:
        r: int32 = 4
    return r


def after_loop(n: int32) -> int32:
    for i in range(n):
        tmp: int32 = i
    return tmp


def assigned_after_loop(n: int32) -> int32:
    s: int32 = 0
    for i in range(n):
        t: int32 = i * 2
        s = s + t
    t = 5
    return s + t


@pytest.mark.parametrize("kernel, name", [(after_if, "r"), (after_loop, "tmp"),
                                          (assigned_after_loop, "t")])
def test_use_after_its_block_is_refused_as_allo_does(kernel, name):
    with pytest.raises(SystemExit) as info:
        allo.customize(kernel)
    e = info.value
    assert isinstance(e, AlloTypeError) and isinstance(e, Exception)
    assert f"{name!r} is declared inside a block" in e.message
    assert e.loc.file == __file__ and e.loc.line > kernel.__code__.co_firstlineno


def declared_before(a: int32[8]) -> int32[8]:
    B: int32[8] = 0
    acc: int32 = 0
    for i in range(8):
        t: int32 = a[i] * 3          # each iteration's own t
        if t > 10:
            acc = acc + t
        else:
            acc = acc - 1
        B[i] = acc
    return B


@pytest.mark.parametrize("target", ["python", None])
def test_declared_before_the_block_is_visible(target):
    a = np.random.default_rng(3).integers(-20, 20, 8).astype(np.int32)
    ref, acc = np.zeros(8, np.int32), 0
    for i in range(8):
        acc = acc + 3 * int(a[i]) if 3 * int(a[i]) > 10 else acc - 1
        ref[i] = acc
    assert np.array_equal(allo.customize(declared_before).build(target=target)(a), ref)


def test_rejection_keeps_its_class_and_is_caught_as_exception():
    with pytest.raises(AlloTypeError):
        allo.customize(after_if)
    try:
        allo.customize(after_if)
    except Exception as e:             # noqa: BLE001 - the point: still an Exception
        assert isinstance(e, AlloError)


def test_uncaught_rejection_prints_the_error_and_exits_1(tmp_path):
    script = textwrap.dedent("""
        import allo_rtl as allo
        from allo_rtl.ir.types import int32
        def k(a: int32) -> int32:
            if a > 0:
                r: int32 = 1
            return r
        allo.customize(k)
        print("not reached")
    """)
    (tmp_path / "user.py").write_text(script)
    p = subprocess.run([sys.executable, str(tmp_path / "user.py")], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 1
    assert "not reached" not in p.stdout and "Traceback" not in p.stderr
    assert "user.py:7:" in p.stderr and "'r' is declared inside a block" in p.stderr
    assert "hint:" in p.stderr


def shadowing_parameter(A: int32[4]) -> int32[4]:
    B: int32[4] = 0

    def twice(A: int32[4], x: int32) -> int32:
        return A[x] * 2

    for i in range(4):
        B[i] = twice(A, i)
    return B


def renamed_parameter(A: int32[4]) -> int32[4]:
    B: int32[4] = 0

    def twice(V: int32[4], x: int32) -> int32:
        return V[x] * 2

    for i in range(4):
        B[i] = twice(A, i)
    return B


def test_nested_kernel_parameter_shadowing_a_variable_is_refused():
    with pytest.raises(SystemExit) as info:
        allo.customize(shadowing_parameter)
    assert "parameter 'A' of nested kernel twice" in info.value.message
    a = np.array([3, -7, 2**30, 5], np.int32)
    for target in ("python", None):
        got = allo.customize(renamed_parameter).build(target=target)(a)
        assert np.array_equal(got, (a.astype(np.int64) * 2).astype(np.int32))   # wraps
