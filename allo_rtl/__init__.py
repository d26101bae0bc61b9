"""allo-rtl: Allo's programming model, lowered to Amaranth HDL by its own scheduler.

``import allo_rtl as allo`` gives the names Allo programs use: ``customize``, ``grid``,
``reduction``, the array builtins and the types.
"""
from .dsl import (add, concat, copy, div, exp, grid, log, matmul, meta_elif, meta_else, meta_for,
                  meta_if, mul, reduction, sqrt, sub, template, tanh, sin, cos, tan, log2, log10,
                  power, relu, bmm, transpose, view, linear, softmax, layernorm, gelu, conv2d,
                  maxpool, sumpool, ones, zeros, tril)
from .dsl import abs  # noqa: A004 - Allo's allo.abs (numpy's abs on arrays)
from .errors import AlloError
from .ir.types import (ConstExpr, Fixed, Float, Index, Int, UFixed, UInt, bfloat16, bool, float16,
                       float32, float64,
                       index, int1, int8, int16, int32, int64, uint1, uint8, uint16, uint32,
                       uint64)
from .ir import types as _types
from .schedule import Partition, Schedule, customize, register_build_driver
from .driver import build as _build
from .frontend.dataflow import get_pid                     # allo.get_pid() as df.get_pid()
from .ir.streams import Stream

register_build_driver(_build)

globals().update({f"{p}int{n}": getattr(_types, f"{p}int{n}")       # int2 ... uint512
                  for n in _types.INT_TYPE_WIDTHS for p in ("", "u")})

__version__ = "0.1.0"

__all__ = ["customize", "Schedule", "Partition",
           "AlloError", "grid", "reduction", "matmul", "add", "sub",
           "mul", "div", "exp", "log", "sqrt", "template", "meta_if", "meta_elif", "meta_else",
           "meta_for", "copy", "concat", "ConstExpr", "tanh", "sin", "cos", "tan", "log2", "log10",
           "power", "relu", "abs", "bmm", "transpose", "view", "linear", "softmax", "layernorm",
           "gelu", "conv2d", "maxpool", "sumpool", "ones", "zeros", "tril", "Int", "UInt", "Fixed", "UFixed",
           "Float", "Index", "bool", "index", "int1", "int8", "int16", "int32", "int64", "uint1",
           "uint8", "uint16", "uint32", "uint64", "float16", "bfloat16", "float32", "float64"]


def __getattr__(name):
    # allo.boards (Device, SimulatedBoard, BOARDS) loads on first use
    if name == "boards":
        import importlib
        return importlib.import_module(".boards", __name__)
    raise AttributeError(f"module 'allo_rtl' has no attribute {name!r}")
