"""Dataflow regions (Allo's ``allo.dataflow``): ``@df.region()`` functions whose body declares
streams and ``@df.kernel(mapping=[P0, P1], args=[...])`` stages.

Parsing a region turns each stage into one kernel per processing element (``gemm_1_2`` for
pid (1, 2)), parsed with ``df.get_pid()`` bound to the PE's indices as compile-time values, so
``allo.meta_if`` picks each PE's body. The region's IR body ends with a ``Dataflow`` statement
calling every PE with the region arrays named in ``args=[...]`` and the streams it uses.

The region's structure is checked here, when it is built: every stream declared in the region
is put into by exactly one stage and read by exactly one other stage; the error names both
offending stages' lines. Cycles of streams between stages (a fwd/bwd pair) are legal.
"""
from __future__ import annotations

import ast
import copy

import numpy as np

from ..errors import AlloTypeError
from ..ir import nodes as ir
from .source import NestedKernel
from .streams import RegionScalar, captured_args

PID_KEY = "__df_pid__"


# --- the names Allo programs use (recognized by identity while parsing) ------------------
def get_pid():
    """The PE's indices in its kernel's mapping; a name the frontend replaces when parsing."""
    raise NotImplementedError("df.get_pid() is only meaningful inside a @df.kernel")


def kernel(mapping=None, args=None):
    """``@df.kernel(mapping=[P0, P1], args=[A, B])``: a stage of a dataflow region."""
    def mark(fn):
        fn._df_kernel = (mapping, args)
        return fn
    return mark


def region(fn=None):
    """``@df.region()``: a function whose kernels run concurrently, joined by streams."""
    def mark(f):
        f._df_region = True
        return f
    return mark(fn) if callable(fn) else mark


# --- parsing ---------------------------------------------------------------------------
def kernel_decorator(sb, node):
    """The ``@df.kernel(...)`` call among ``node``'s decorators, or None."""
    for d in node.decorator_list:
        call = d if isinstance(d, ast.Call) else None
        try:
            fn = sb.eb.python_object(call.func if call else d)
        except Exception:   # noqa: BLE001 - not a Python object we know: not ours
            continue
        if fn is kernel:
            if call is None:
                raise sb.ctx.error("@df.kernel needs its mapping", d,
                                   hint="@df.kernel(mapping=[1], args=[A])")
            return call
    return None


def is_get_pid(sb, call) -> bool:
    if not isinstance(call, ast.Call):
        return False
    try:
        return sb.eb.python_object(call.func) is get_pid
    except Exception:   # noqa: BLE001
        return False


def bind_pid(sb, node):
    """``i, j = df.get_pid()``: ``i`` and ``j`` become the PE's compile-time indices."""
    ctx = sb.ctx
    pid = ctx.env.get(PID_KEY)
    if pid is None:
        raise ctx.error("df.get_pid() gives a PE's indices inside a @df.kernel only", node.value)
    if node.value.args or node.value.keywords:
        raise ctx.error("df.get_pid() takes no arguments", node.value)
    target = node.targets[0]
    names = target.elts if isinstance(target, ast.Tuple) else [target]
    if not all(isinstance(n, ast.Name) for n in names):
        raise ctx.error("bind df.get_pid() to plain names: i, j = df.get_pid()", target)
    if isinstance(target, ast.Tuple):
        if len(names) != len(pid):
            raise ctx.type_error(f"this kernel's mapping has {len(pid)} dimensions; "
                                 f"{len(names)} names receive its pid", target)
        values = list(pid)
    else:
        values = [pid[0] if len(pid) == 1 else tuple(pid)]
    for n, v in zip(names, values):
        if n.id in ctx.symbols:
            raise ctx.error(f"{n.id!r} is already a kernel variable", n)
        ctx.env[n.id] = v


def _mapping(ctx, call):
    kws = {k.arg: k.value for k in call.keywords}
    unknown = set(kws) - {"mapping", "args"}
    if unknown or call.args:
        raise ctx.error("@df.kernel takes mapping=[...] and args=[...] keywords only", call)
    if "mapping" not in kws:
        raise ctx.error("@df.kernel needs mapping=[...]", call, hint="mapping=[1] for one PE")
    mapping = ctx.eval_static(kws["mapping"], what="a kernel's mapping")
    if isinstance(mapping, int):
        mapping = [mapping]
    if not isinstance(mapping, (list, tuple)) or not mapping or not all(
            isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 1
            for m in mapping):
        raise ctx.type_error(f"mapping must be a list of positive integers, not {mapping!r}",
                             kws["mapping"], hint="mapping=[P0, P1]")
    args = kws.get("args")
    if args is not None and not isinstance(args, (ast.List, ast.Tuple)):
        raise ctx.error("args= must be a list of the region's arrays", args)
    return [int(m) for m in mapping], (args.elts if args is not None else [])


def stage_def(sb, node, call):
    """A ``@df.kernel`` def in a region: one kernel per PE, each a stage of the region."""
    ctx = sb.ctx
    mapping, arg_nodes = _mapping(ctx, call)
    params = node.args.args
    if len(arg_nodes) != len(params):
        raise ctx.type_error(f"kernel {node.name} has {len(params)} parameters but args= names "
                             f"{len(arg_nodes)} arrays", call,
                             hint="args=[...] gives one region array per parameter, in order")
    region_args = []
    for a in arg_nodes:
        v = sb.eb.build(a)
        if not isinstance(v, ir.Buffer):
            raise ctx.type_error(f"{ast.unparse(a)!r} in args= of {node.name} is not an array; "
                                 "a kernel's args are the region's arrays", a,
                                 hint="a kernel reads the region's scalars by name, without "
                                      "args=; remove it from args")
        region_args.append(v)
    stages = ctx.df_stages
    for pid in np.ndindex(*mapping):
        tree = copy.copy(node)
        tree.name = f"{node.name}_{'_'.join(map(str, pid))}"
        tree.decorator_list = []
        pe = NestedKernel(ctx, tree)
        pe.source._env.update(_region_scalars(ctx))
        f = ctx.mb.function_for(pe, {PID_KEY: tuple(int(p) for p in pid)}, call_node=node,
                                caller=ctx)
        stages.append(_stage_call(ctx, node, f, region_args, arg_nodes))


def _region_scalars(ctx) -> dict:
    """The region's scalar parameters, for its stages to read (captured by value)."""
    names = [a.arg for a in ctx.src.tree.args.args]
    return {n: RegionScalar(ctx.symbols[n]) for n in names
            if isinstance(ctx.symbols.get(n), ir.Scalar)}


def _stage_call(ctx, node, f, region_args, arg_nodes):
    if f.results:
        raise ctx.type_error(f"kernel {node.name} returns a value; a stage writes its results "
                             "into its array arguments", node)
    for p, a, an in zip(f.params, region_args, arg_nodes):
        if not isinstance(p, ir.Buffer) or p.type != a.type:
            raise ctx.type_error(f"parameter {p.name} of {node.name} is "
                                 f"{getattr(p, 'type', p)!r} but {ast.unparse(an)} is "
                                 f"{a.type!r}", an, hint="declare the parameter with the "
                                 "region array's type and shape")
    return ir.Call(ctx.loc(node), f, list(region_args) + captured_args(ctx, f, node), [])


def finish_region(ctx, loc):
    """Append the region's Dataflow statement, after checking its streams' structure."""
    stages, ctx.df_stages = ctx.df_stages, []
    check_structure(ctx, stages)
    ctx.bodies[0].append(ir.Dataflow(loc, stages, ctx.src.tree.name))


# --- structure -------------------------------------------------------------------------
def stream_uses(f: ir.Function, memo=None) -> dict:
    """{id(channel of f): {"put": loc, "get": loc}}: where ``f`` (or a kernel it calls)
    first puts into or gets from each of its streams."""
    memo = {} if memo is None else memo
    if id(f) in memo:
        return memo[id(f)]
    out: dict = {}
    memo[id(f)] = out
    for s in ir.walk_stmts(f.body):
        if isinstance(s, (ir.StreamPut, ir.StreamGet)):
            out.setdefault(id(s.chan), {}).setdefault(
                "put" if isinstance(s, ir.StreamPut) else "get", s.loc)
        elif isinstance(s, ir.Call) and not isinstance(s, ir.Dataflow):
            inner = stream_uses(s.callee, memo)
            for a, p in zip(s.args, s.callee.params):
                if isinstance(p, ir.Channel) and id(p) in inner:
                    for kind, where in inner[id(p)].items():
                        out.setdefault(id(a), {}).setdefault(kind, where)
    return out


def check_structure(ctx, stages):
    chans = [c for c in ctx.locals if isinstance(c, ir.Channel)]
    ends = {id(c): {"put": [], "get": []} for c in chans}
    for call in stages:
        uses = stream_uses(call.callee)
        for a, p in zip(call.args, call.callee.params):
            if isinstance(a, ir.Channel) and id(a) in ends:
                for kind, where in uses.get(id(p), {}).items():
                    ends[id(a)][kind].append((call.callee.name, where))
    for c in chans:
        puts, gets = ends[id(c)]["put"], ends[id(c)]["get"]
        for kind, lst in (("put", puts), ("get", gets)):
            if len(lst) > 1:
                (n1, l1), (n2, l2) = lst[0], lst[1]
                role = "producer" if kind == "put" else "consumer"
                raise AlloTypeError(
                    f"stream {c.label} has two {role}s: stage {n1} "
                    f"{'puts into' if kind == 'put' else 'gets from'} it at {l1} and stage "
                    f"{n2} at {l2}", l2,
                    hint="a stream joins exactly one producer to one consumer; give each "
                         "stage its own stream (an array of streams: Stream[T, d][P])")
        both = {n for n, _ in puts} & {n for n, _ in gets}
        if both:
            stage = sorted(both)[0]
            put_at = next(w for n, w in puts if n == stage)
            get_at = next(w for n, w in gets if n == stage)
            raise AlloTypeError(f"stage {stage} both puts into stream {c.label} (at {put_at}) "
                                f"and gets from it (at {get_at})", get_at,
                                hint="a stream joins two different stages; use one stream "
                                     "per direction")
        if puts and not gets:
            raise AlloTypeError(f"stream {c.label} is put into by stage {puts[0][0]} at "
                                 f"{puts[0][1]} but no stage gets from it", c.loc,
                                 hint="add the consumer, or remove the stream and its puts")
        if gets and not puts:
            raise AlloTypeError(f"stream {c.label} is read by stage {gets[0][0]} at "
                                 f"{gets[0][1]} but no stage puts into it (it would wait "
                                 "forever)", c.loc, hint="add the producer")


__all__ = ["get_pid", "kernel", "region"]
