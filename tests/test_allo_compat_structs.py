"""Allo's Struct locals: one scalar per field, on the interpreter and hardware, against the
same computation written out in Python; structs where they would need a memory layout are
refused at the line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir import types as T
from allo_rtl.ir.types import float32, int8, int32

PAIR = T.Struct({"a": int8, "b": int32})
POINT = T.Struct({"x": int32, "y": float32})


def fields(A: int32[4]) -> int32:
    p: PAIR = {"a": 0, "b": 0}
    for i in range(4):
        q: PAIR = {"b": A[i], "a": A[i]}        # fields in any order; a wraps to int8
        p["a"] += q["a"]
        p["b"] = p["b"] + q["b"]
        p["b"][0] = 1                            # bit assignment into a field
    r: PAIR = {"a": 1, "b": 2}
    r = p                                        # struct copy
    return r["a"] * 1000 + r["b"]


def reference(a):
    pa, pb = 0, 0
    for v in a:
        pa = (pa + ((int(v) + 128) % 256 - 128) + 128) % 256 - 128
        pb = (pb + int(v)) | 1
    return pa * 1000 + pb


@pytest.mark.parametrize("target", ["python", None])
def test_struct_fields_read_write_and_copy(target):
    m = allo.customize(fields).build(target=target)
    rng = np.random.default_rng(2)
    for a in (np.array([100, 50, 3, 7], np.int32), rng.integers(-300, 300, 4).astype(np.int32)):
        assert m(a) == reference(a)


def mixed(x: int32[8], y: float32[8]) -> int32:
    total: int32 = 0
    for i in range(8):
        point: POINT = {"x": x[i], "y": y[i]}
        total += point["x"]
        total += int(point["y"])
    return total


def test_struct_with_a_float_field_on_the_interpreter():
    x = np.arange(8, dtype=np.int32) - 3
    y = np.linspace(-3.7, 5.2, 8).astype(np.float32)
    expected = sum(int(a) + int(b) for a, b in zip(x, y))     # int() truncates, as numpy
    assert allo.customize(mixed).build(target="python")(x, y) == expected


def bad_field(A: int32[4]) -> int32:
    p: PAIR = {"a": 0, "b": 0}
    return p["c"]


def missing_field(A: int32[4]) -> int32:
    p: PAIR = {"a": 0}
    return p["a"]


def struct_arg(p: PAIR) -> int32:
    return 0


def as_number(A: int32[4]) -> int32:
    p: PAIR = {"a": 0, "b": 0}
    return p + 1


@pytest.mark.parametrize("kernel, message", [
    (bad_field, r"fields of Struct.* are 'a', 'b'"),
    (missing_field, "needs each field once"),
    (struct_arg, "a struct cannot be an argument or a result"),
    (as_number, "a struct"),
])
def test_struct_misuse_is_refused_at_the_line(kernel, message):
    with pytest.raises(allo.AlloError, match=message) as e:
        allo.customize(kernel)
    assert "test_allo_compat_structs.py" in str(e.value)
    assert e.value.loc.line > kernel.__code__.co_firstlineno - 1


def test_struct_type_checks_its_fields():
    with pytest.raises(allo.AlloError, match="scalar type"):
        T.Struct({"x": "int32"})
    assert T.Struct({"x": int32}) == T.Struct({"x": int32}) != T.Struct({"y": int32})
    assert POINT.bits == 64
