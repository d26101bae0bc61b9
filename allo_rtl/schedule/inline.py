"""``inline(fn)``: replace every call of kernel ``fn`` by a copy of its body.

Scalar arguments are evaluated once into fresh locals (the callee may reassign its parameters);
array arguments and array results are the caller's own arrays (Python passes arrays by
reference); scalar results are the caller's output variables. The callee's locals become the
caller's, renamed ``<fn>_<name>`` when a name is taken; loops keep their names when free.
The callee disappears when no call of it is left, so the hardware has no sub-kernel for it.
"""
from __future__ import annotations

import copy

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from .slices import Namer


def _inline_call(module: ir.Module, caller: ir.Function, call: ir.Call) -> list:
    callee = call.callee
    memo = {id(f): f for f in module.functions.values()}    # never copy a kernel
    names = Namer(caller)
    prologue = []
    for p, a in zip(callee.params, call.args):
        if isinstance(p, ir.Buffer):
            memo[id(p)] = a
        else:
            local = ir.Scalar(names.var(f"{callee.name}_{p.name}"), p.type, p.loc)
            caller.locals.append(local)
            prologue.append(ir.Assign(call.loc, local, a))
            memo[id(p)] = local
    for r, out in zip(callee.results, call.outs):
        memo[id(r)] = out
    for sym in callee.locals:
        fresh = copy.copy(sym)
        if isinstance(fresh, ir.Buffer):
            fresh.partition = dict(sym.partition)
        fresh.name = names.var(sym.name if sym.name not in names.vars
                               else f"{callee.name}_{sym.name}")
        memo[id(sym)] = fresh
        caller.locals.append(fresh)
    body = copy.deepcopy(callee.body, memo)
    for lp in ir.loops(body):
        lp.name = names.loop(lp.name)
        lp.var.name = names.var(lp.var.name if lp.var.name not in names.vars
                                else f"{callee.name}_{lp.var.name}")
    return prologue + body


def _rewrite(module, caller, body: list, callee: ir.Function) -> int:
    count, k = 0, 0
    while k < len(body):
        s = body[k]
        if isinstance(s, ir.Call) and s.callee is callee:
            new = _inline_call(module, caller, s)
            body[k:k + 1] = new
            k += len(new)
            count += 1
            continue
        for b in ir.child_bodies(s):
            count += _rewrite(module, caller, b, callee)
        k += 1
    return count


def inline(module: ir.Module, fn: str | None):
    name = fn or module.top
    callee = module.functions.get(name)
    if callee is None:
        raise AlloScheduleError(f"inline: no kernel named {name!r}",
                                hint=f"kernels: {', '.join(module.functions)}")
    if name == module.top:
        raise AlloScheduleError(f"inline: {name} is the top kernel; there is no caller to "
                                "inline it into", hint="name a kernel the top one calls")
    count = sum(_rewrite(module, f, f.body, callee) for f in module.functions.values()
                if f is not callee)
    if count == 0:
        raise AlloScheduleError(f"inline: nothing calls {name}")
    del module.functions[name]
