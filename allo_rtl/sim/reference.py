"""Reference interpreter: executes the IR bit-accurately. The golden model of every build.

Scalars are raw values (see ``ir.types``); buffers are numpy object arrays of raw values.
Operator meaning comes from ``ir.semantics`` only, so hardware and interpreter share one
definition. Local buffers start at zero on each call (Allo leaves them undefined).
"""
from __future__ import annotations

import numpy as np

from ..errors import AlloError
from ..ir import nodes as ir
from ..ir import semantics as sem
from ..ir.analysis import written_buffers
from ..ir.types import cast
from . import boundary
from .user_call import user_call


class ReferenceError_(AlloError):
    pass


class Interpreter:
    def __init__(self, max_steps: int = 50_000_000):
        self.max_steps = max_steps
        self.steps = 0

    # --- functions ------------------------------------------------------------------
    def call(self, f: ir.Function, args: list) -> list:
        env = {}
        for p, a in zip(f.params, args):
            env[id(p)] = a
        for sym in f.symbols():
            if isinstance(sym, ir.Buffer) and id(sym) not in env:
                env[id(sym)] = (sym.init.copy() if sym.kind == "const"
                                else np.full(sym.shape, sym.dtype.from_python(0), dtype=object))
            elif isinstance(sym, ir.Scalar) and id(sym) not in env:
                env[id(sym)] = sym.type.from_python(0)
        self.body(f.body, env)
        return [env[id(r)] for r in f.results]

    # --- statements -----------------------------------------------------------------
    def body(self, stmts, env):
        for s in stmts:
            self.stmt(s, env)

    def stmt(self, s, env):
        self.steps += 1
        if self.steps > self.max_steps:
            raise ReferenceError_(f"the kernel ran more than {self.max_steps} statements; "
                                  "is a while loop endless?", s.loc)
        if isinstance(s, ir.Assign):
            env[id(s.var)] = self.expr(s.value, env)
        elif isinstance(s, ir.Store):
            buf = env[id(s.buf)]
            idx = self.indices(s.buf, s.indices, env, s.loc)
            buf[idx] = self.expr(s.value, env)
        elif isinstance(s, ir.For):
            self.loop(s, env)
        elif isinstance(s, ir.While):
            while sem.truth(self.expr(s.cond, env)):
                self.body(s.body, env)
                self.steps += 1
        elif isinstance(s, ir.If):
            self.body(s.then_body if sem.truth(self.expr(s.cond, env)) else s.else_body, env)
        elif isinstance(s, ir.Call):
            self.call_stmt(s, env)
        else:
            raise TypeError(f"unknown statement {type(s).__name__}")

    def loop(self, s: ir.For, env):
        lo, hi = int(self.expr(s.lo, env)), int(self.expr(s.hi, env))
        t = s.var.type
        for i in range(lo, hi, s.step):
            env[id(s.var)] = t.wrap(i)
            self.body(s.body, env)

    def call_stmt(self, s: ir.Call, env):
        args = []
        for a, p in zip(s.args, s.callee.params):
            if isinstance(a, ir.Buffer):
                args.append(env[id(a)])   # by reference: the callee writes the caller's array
            else:
                args.append(self.expr(a, env))
        results = self.call(s.callee, args)
        for o, v in zip(s.outs, results):
            env[id(o)] = v.copy() if isinstance(o, ir.Buffer) else v

    def indices(self, buf, idx_exprs, env, loc):
        idx = tuple(int(self.expr(i, env)) for i in idx_exprs)
        for k, (i, n) in enumerate(zip(idx, buf.shape)):
            if not 0 <= i < n:
                raise ReferenceError_(f"index {i} out of range for dimension {k} of "
                                      f"{buf.name} (size {n})", loc,
                                      hint="hardware would read or write another element")
        return idx

    # --- expressions ----------------------------------------------------------------
    def expr(self, e, env):
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Ref):
            return env[id(e.var)]
        if isinstance(e, ir.Load):
            return env[id(e.buf)][self.indices(e.buf, e.indices, env, e.loc)]
        if isinstance(e, ir.BinOp):
            return sem.binop(e.op, self.expr(e.lhs, env), e.lhs.type, self.expr(e.rhs, env),
                             e.rhs.type, e.type)
        if isinstance(e, ir.Compare):
            return sem.compare(e.op, self.expr(e.lhs, env), e.lhs.type,
                               self.expr(e.rhs, env), e.rhs.type)
        if isinstance(e, ir.Logic):
            if e.op == "and":
                return int(all(sem.truth(self.expr(o, env)) for o in e.operands))
            return int(any(sem.truth(self.expr(o, env)) for o in e.operands))
        if isinstance(e, ir.Unary):
            return sem.unary(e.op, self.expr(e.operand, env), e.operand.type, e.type)
        if isinstance(e, ir.Cast):
            return cast(self.expr(e.operand, env), e.operand.type, e.type)
        if isinstance(e, ir.Select):
            chosen = e.if_true if sem.truth(self.expr(e.cond, env)) else e.if_false
            return self.expr(chosen, env)
        if isinstance(e, ir.BitGet):
            return sem.bit_get(self.expr(e.operand, env), e.operand.type,
                               int(self.expr(e.bit, env)))
        if isinstance(e, ir.BitSlice):
            return sem.bit_slice(self.expr(e.operand, env), e.operand.type,
                                 int(self.expr(e.lo, env)), e.width)
        if isinstance(e, ir.MathCall):
            return sem.math_call(e.fn, [self.expr(a, env) for a in e.args],
                                 [a.type for a in e.args], e.type)
        raise TypeError(f"unknown expression {type(e).__name__}")


class ReferenceModule:
    """What ``s.build(target="python")`` returns: call it like the kernel, with numpy values."""

    def __init__(self, module: ir.Module):
        self.module = module
        self.top = module.top_func
        self._written = written_buffers(self.top)

    @user_call
    def __call__(self, *args, wrap=False):
        """``wrap=True`` wraps out-of-range arguments instead of refusing them."""
        raw = boundary.convert_args(self.top, args, wrap=wrap)
        results = Interpreter().call(self.top, raw)
        boundary.write_back(self.top, args, raw, self._written)
        return boundary.convert_results(self.top, results, args=args)
