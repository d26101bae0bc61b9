"""``s.get_equivalent_variables(name)``: the names one value has across kernel calls.

Allo names a kernel's parameters by position (``foo:0``) and its other values by name
(``kernel:D``). A value passed to a callee is the same value as the callee's parameter; the
classes are the connected components of that relation over every call in the module.
"""
from __future__ import annotations

from ..ir import nodes as ir


def _name(f: ir.Function, sym) -> str:
    for k, p in enumerate(f.params):
        if p is sym:
            return f"{f.name}:{k}"
    return f"{f.name}:{sym.name}"


def _symbol_of(arg):
    """The variable an argument passes (through casts), or None for a computed value."""
    while isinstance(arg, ir.Cast):
        arg = arg.operand
    if isinstance(arg, ir.Ref):
        return arg.var
    return arg if isinstance(arg, ir.Buffer) else None


def equivalent_variables(module: ir.Module, name: str) -> set:
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for f in module.functions.values():
        for s in ir.walk_stmts(f.body):
            if isinstance(s, ir.Call):
                for k, a in enumerate(s.args):
                    sym = _symbol_of(a)
                    if sym is not None:
                        parent[find(_name(f, sym))] = find(f"{s.callee.name}:{k}")
    if name not in parent:
        return set()
    root = find(name)
    return {x for x in list(parent) if find(x) == root}
