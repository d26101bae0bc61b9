"""Structural and type checks of the IR, run after every transformation in tests/debug.

A failure here is a compiler bug, not a user mistake, so it raises ``IRVerifyError`` (an
AssertionError) naming the node's source location.
"""
from __future__ import annotations

from . import nodes as ir
from .types import ArrayType, UInt


class IRVerifyError(AssertionError):
    pass


def _fail(loc, msg):
    raise IRVerifyError(f"{loc}: IR verification failed: {msg}")


class _FunctionVerifier:
    def __init__(self, f: ir.Function, module: ir.Module | None):
        self.f, self.module = f, module
        self.known = {id(s) for s in f.symbols()}
        names = [s.name for s in f.symbols()]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            _fail(f.loc, f"symbol names defined twice in {f.name}: {sorted(dup)}")
        self.loop_vars = []

    def symbol(self, sym, loc):
        if id(sym) not in self.known and sym not in self.loop_vars:
            _fail(loc, f"{sym!r} is not declared in function {self.f.name}")

    def expr(self, e: ir.Expr):
        if not isinstance(e, ir.Expr):
            _fail(getattr(e, "loc", ir.UNKNOWN), f"expected an expression, got {e!r}")
        if isinstance(e, ir.Ref):
            self.symbol(e.var, e.loc)
            if e.type != e.var.type:
                _fail(e.loc, f"reference to {e.var.name} typed {e.type!r}, var is {e.var.type!r}")
        elif isinstance(e, ir.Load):
            self.access(e.buf, e.indices, e.loc)
            if e.type != e.buf.dtype:
                _fail(e.loc, f"load from {e.buf.name} typed {e.type!r}")
        elif isinstance(e, (ir.Compare, ir.Logic, ir.BitGet)) or (
                isinstance(e, ir.Unary) and e.op == "not"):
            if e.type != UInt(1):
                _fail(e.loc, f"{type(e).__name__} must be typed uint1, not {e.type!r}")
        elif isinstance(e, ir.BitSlice):
            if e.type != UInt(e.width) or e.width < 1:
                _fail(e.loc, f"bit slice of width {e.width} typed {e.type!r}")
        for c in ir.child_exprs(e):
            self.expr(c)

    def access(self, buf, indices, loc):
        self.symbol(buf, loc)
        if len(indices) != len(buf.shape):
            _fail(loc, f"{buf.name} has rank {len(buf.shape)}, accessed with {len(indices)} indices")
        for i in indices:
            if not i.type.is_int:
                _fail(loc, f"index of {buf.name} has non-integer type {i.type!r}")

    def body(self, body: list):
        for s in body:
            self.stmt(s)

    def stmt(self, s: ir.Stmt):
        if isinstance(s, ir.Assign):
            self.symbol(s.var, s.loc)
            self.expr(s.value)
            if s.value.type != s.var.type:
                _fail(s.loc, f"assigning {s.value.type!r} to {s.var.name}: {s.var.type!r}")
        elif isinstance(s, ir.Store):
            self.access(s.buf, s.indices, s.loc)
            self.expr(s.value)
            if s.buf.kind == "const":
                _fail(s.loc, f"store into constant buffer {s.buf.name}")
            if s.value.type != s.buf.dtype:
                _fail(s.loc, f"storing {s.value.type!r} into {s.buf.name}: {s.buf.type!r}")
            for i in s.indices:
                self.expr(i)
        elif isinstance(s, ir.For):
            if s.step == 0:
                _fail(s.loc, f"loop {s.name} has step 0")
            self.expr(s.lo)
            self.expr(s.hi)
            self.loop_vars.append(s.var)
            self.body(s.body)
            self.loop_vars.pop()
        elif isinstance(s, (ir.While, ir.If)):
            self.expr(s.cond)
            for b in ir.child_bodies(s):
                self.body(b)
        elif isinstance(s, ir.Call):
            self.call(s)
        elif isinstance(s, (ir.StreamPut, ir.StreamGet)):
            self.stream_op(s)
        elif isinstance(s, ir.Dataflow):
            for stage in s.stages:
                if not isinstance(stage, ir.Call):
                    _fail(stage.loc, f"a dataflow stage must be a call, not {type(stage).__name__}")
                self.call(stage)
        else:
            _fail(s.loc, f"unknown statement {type(s).__name__}")

    def stream_op(self, s):
        if not isinstance(s.chan, ir.Channel):
            _fail(s.loc, f"stream operation on {s.chan!r}, which is not a stream")
        self.symbol(s.chan, s.loc)
        elem = s.chan.type.elem
        item = s.value if isinstance(s, ir.StreamPut) else s.dest
        if isinstance(item, ir.Expr):
            self.expr(item)
        else:
            self.symbol(item, s.loc)
        if item.type != elem:
            _fail(s.loc, f"{s.chan.name} carries {elem!r}, the operation moves {item.type!r}")
        if isinstance(s, ir.StreamGet) and not isinstance(item, (ir.Scalar, ir.Buffer)):
            _fail(s.loc, f"get from {s.chan.name} into {item!r}, which is not a variable")

    def call(self, s: ir.Call):
        callee = s.callee
        if self.module is not None and self.module.functions.get(callee.name) is not callee:
            _fail(s.loc, f"call of {callee.name}, which is not in the module")
        if len(s.args) != len(callee.params) or len(s.outs) != len(callee.results):
            _fail(s.loc, f"call of {callee.name} with wrong argument/result count")
        for a, p in [*zip(s.args, callee.params), *zip(s.outs, callee.results)]:
            if isinstance(p, ir.Channel):
                if not isinstance(a, ir.Channel) or a.type != p.type:
                    _fail(s.loc, f"{callee.name}: {p.name} needs a stream {p.type!r}, got {a!r}")
                self.symbol(a, s.loc)
            elif isinstance(p, ir.Buffer):
                if not isinstance(a, ir.Buffer) or a.type != p.type:
                    _fail(s.loc, f"{callee.name}: {p.name} needs a buffer {p.type!r}, got {a!r}")
                self.symbol(a, s.loc)
            elif isinstance(a, ir.Scalar):
                self.symbol(a, s.loc)
                if a.type != p.type:
                    _fail(s.loc, f"{callee.name}: result {p.name} {p.type!r} into {a.type!r}")
            else:
                self.expr(a)
                if a.type != p.type:
                    _fail(s.loc, f"{callee.name}: argument {p.name} {p.type!r} given {a.type!r}")


def verify_function(f: ir.Function, module: ir.Module | None = None):
    v = _FunctionVerifier(f, module)
    for sym in f.symbols():
        if isinstance(sym, ir.Buffer) and not isinstance(sym.type, ArrayType):
            _fail(sym.loc, f"buffer {sym.name} has non-array type {sym.type!r}")
    v.body(f.body)


def verify_module(m: ir.Module):
    if m.top not in m.functions:
        _fail(ir.UNKNOWN, f"top function {m.top} missing")
    for f in m.functions.values():
        verify_function(f, m)
    return m
