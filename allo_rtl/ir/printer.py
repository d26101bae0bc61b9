"""Deterministic text form of the IR (what ``print(s)`` shows)."""
from __future__ import annotations

from . import nodes as ir


def format_expr(e: ir.Expr) -> str:
    if isinstance(e, ir.Const):
        return f"{e.type.to_python(e.value)!r}:{e.type!r}"
    if isinstance(e, ir.Ref):
        return e.var.name
    if isinstance(e, ir.Load):
        return f"{e.buf.name}[{', '.join(format_expr(i) for i in e.indices)}]"
    if isinstance(e, (ir.BinOp, ir.Compare)):
        return f"({format_expr(e.lhs)} {e.op} {format_expr(e.rhs)})"
    if isinstance(e, ir.Logic):
        return "(" + f" {e.op} ".join(format_expr(o) for o in e.operands) + ")"
    if isinstance(e, ir.Unary):
        sep = " " if e.op == "not" else ""
        return f"({e.op}{sep}{format_expr(e.operand)})"
    if isinstance(e, ir.Cast):
        return f"{e.type!r}({format_expr(e.operand)})"
    if isinstance(e, ir.Select):
        return (f"({format_expr(e.if_true)} if {format_expr(e.cond)} "
                f"else {format_expr(e.if_false)})")
    if isinstance(e, ir.BitGet):
        return f"{format_expr(e.operand)}.bit[{format_expr(e.bit)}]"
    if isinstance(e, ir.BitSlice):
        return f"{format_expr(e.operand)}.bits[{format_expr(e.lo)} +: {e.width}]"
    if isinstance(e, ir.MathCall):
        return f"{e.fn}({', '.join(format_expr(a) for a in e.args)})"
    raise TypeError(f"unknown expression {type(e).__name__}")


def _attrs(attrs: dict) -> str:
    return "" if not attrs else "  # " + ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()))


def format_body(body: list, indent: int) -> list:
    pad = "  " * indent
    out = []
    for s in body:
        if isinstance(s, ir.Assign):
            out.append(f"{pad}{s.var.name} = {format_expr(s.value)}")
        elif isinstance(s, ir.Store):
            idx = ", ".join(format_expr(i) for i in s.indices)
            out.append(f"{pad}{s.buf.name}[{idx}] = {format_expr(s.value)}")
        elif isinstance(s, ir.For):
            step = f", {s.step}" if s.step != 1 else ""
            out.append(f"{pad}for {s.var.name} in range({format_expr(s.lo)}, "
                       f"{format_expr(s.hi)}{step}):  # loop {s.name!r}"
                       + _attrs(s.attrs).replace("  #", ","))
            out += format_body(s.body, indent + 1)
        elif isinstance(s, ir.While):
            out.append(f"{pad}while {format_expr(s.cond)}:")
            out += format_body(s.body, indent + 1)
        elif isinstance(s, ir.If):
            out.append(f"{pad}if {format_expr(s.cond)}:")
            out += format_body(s.then_body, indent + 1) or [f"{pad}  pass"]
            if s.else_body:
                out.append(f"{pad}else:")
                out += format_body(s.else_body, indent + 1)
        elif isinstance(s, ir.StreamPut):
            value = s.value.name if isinstance(s.value, ir.Buffer) else format_expr(s.value)
            out.append(f"{pad}{s.chan.name}.put({value})")
        elif isinstance(s, ir.StreamGet):
            out.append(f"{pad}{s.dest.name} = {s.chan.name}.get()")
        elif isinstance(s, ir.Dataflow):
            out.append(f"{pad}dataflow{' ' + repr(s.name) if s.name else ''}:  # stages run "
                       "concurrently")
            out += format_body(s.stages, indent + 1)
        elif isinstance(s, ir.Call):
            args = ", ".join(a.name if isinstance(a, (ir.Buffer, ir.Channel)) else format_expr(a)
                             for a in s.args)
            outs = ", ".join(o.name for o in s.outs)
            out.append(f"{pad}{outs + ' = ' if outs else ''}call @{s.callee.name}({args})")
        else:
            raise TypeError(f"unknown statement {type(s).__name__}")
    return out


def _decl(sym) -> str:
    if isinstance(sym, ir.Channel):
        return f"{sym.name}: {sym.type!r}"
    if isinstance(sym, ir.Buffer):
        kind = "" if sym.kind in ("arg", "local") else f" ({sym.kind})"
        parts = "".join(f" partition({k}, dim={d + 1}{f', factor=' + str(f) if k != 'complete' else ''})"
                        for d, (k, f) in sorted(sym.partition.items()))
        view = f" reshape{tuple(sym.view_shape)}" if sym.view_shape else ""
        to = "".join(f" to({dst}{f', depth={d}' if d else ''})"     # s.to(...) records
                     for dst, d in getattr(sym, "stream_to", ()))
        return f"{sym.name}: {sym.type!r}{kind}{view}{parts}{to}"
    return f"{sym.name}: {sym.type!r}"


def format_function(f: ir.Function) -> str:
    params = ", ".join(_decl(p) for p in f.params)
    results = ", ".join(_decl(r) for r in f.results)
    flag = "  # dataflow" if getattr(f, "dataflow", False) else ""      # s.dataflow("fn")
    lines = [f"def {f.name}({params}) -> ({results}):{flag}"]
    if f.allocation:
        limits = ", ".join(f"{cls} <= {n}" for cls, n in sorted(f.allocation.items()))
        lines.append(f"  # allocation: {limits}")
    for sym in f.locals:
        lines.append(f"  local {_decl(sym)}")
    lines += format_body(f.body, 1)
    return "\n".join(lines)


def format_module(m: ir.Module) -> str:
    return "\n\n".join(format_function(f) for f in m.functions.values()) + "\n"
