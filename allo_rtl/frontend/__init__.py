"""Python kernel source -> typed IR module (one Function per kernel, calls kept as calls)."""
from __future__ import annotations

import ast

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir import nodes as ir
from ..ir import types as T
from ..ir.analysis import written_buffers
from ..ir.verifier import verify_module
from . import dataflow, streams, views
from .context import FunctionContext
from .expressions import cast_to
from .source import KernelSource, NestedKernel
from .statements import StmtBuilder
from .templates import bind, is_template, template_params


class ModuleBuilder:
    def __init__(self, frames=None):
        self.frames = frames or []       # the customize caller's frames (scope.py)
        self.functions: dict = {}
        self.by_pyfunc: dict = {}
        self.in_progress: list = []

    def function_for(self, fn, params: dict | None = None, call_node=None, caller=None):
        key = (fn, tuple(sorted((params or {}).items(), key=lambda kv: kv[0])) if params else ())
        if fn in self.in_progress:
            raise AlloSyntaxError(f"recursive call of {fn.__name__} cannot become hardware",
                                  caller.loc(call_node) if caller else None,
                                  hint="rewrite the recursion as a loop")
        if key not in self.by_pyfunc:
            self.in_progress.append(fn)
            try:
                source = fn.source if isinstance(fn, NestedKernel) else KernelSource(fn)
                f = FunctionBuilder(source, self, params or {}).build()
            finally:
                self.in_progress.pop()
            if (params or {}).get("__instance_id__") is not None:
                f.name = f"{f.name}_{params['__instance_id__']}"
            name, k = f.name, 1
            while name in self.functions:
                name, k = f"{f.name}_{k}", k + 1
            f.name = name
            self.functions[name] = f
            self.by_pyfunc[key] = f
        return self.by_pyfunc[key]

    def call_kernel(self, eb, fn, node, params=None):
        """Emit a Call of sub-kernel ``fn`` (``params``: its template instantiation); the
        value is its result(s)."""
        ctx = eb.ctx
        if params is None and is_template(fn):
            # as Allo: a template called bare inside a template takes the caller's values of
            # the parameters it shares by name (stageS(A, r, s) inside kernel[T, M, N])
            names = [p[0] for p in template_params(fn)]
            if not all(n in ctx.template_args for n in names):
                missing = [n for n in names if n not in ctx.template_args]
                raise ctx.error(f"template kernel {fn.__name__} needs its parameters here "
                                f"({', '.join(missing)} not bound in the caller)", node,
                                hint=f"call it as {fn.__name__}[...](...) with one value per "
                                     "parameter, e.g. kernel[int32, 8](A)")
            params = bind(fn, [ctx.template_args[n] for n in names], ctx.loc(node))
        callee = self.function_for(fn, params, call_node=node, caller=ctx)
        explicit = [p for p in callee.params if getattr(p, "outer", None) is None]
        if len(node.args) != len(explicit):
            raise ctx.type_error(f"{callee.name} takes {len(explicit)} arguments, "
                                 f"got {len(node.args)}", node)
        args, rows = [], []
        for a, p in zip(node.args, explicit):
            row = views.split(eb, a) if isinstance(p, ir.Buffer) else None
            if row:                       # a row A[i] passed as a 1-D array: copied in
                v = views.read_row(eb, *row, a)
                rows.append((row, v, p, a))
            else:
                v = eb.build(a)
            if isinstance(p, ir.Buffer):
                if not isinstance(v, ir.Buffer) or v.type != p.type:
                    got = v.type if isinstance(v, (ir.Buffer, ir.Expr)) else "a tuple"
                    raise ctx.type_error(f"argument {p.name} of {callee.name} must be a "
                                         f"{p.type!r} array, got {got!r}", a,
                                         hint="pass an array of exactly that type and shape")
                args.append(v)
            else:
                if not isinstance(v, ir.Expr):
                    raise ctx.type_error(f"argument {p.name} of {callee.name} must be a "
                                         f"scalar {p.type!r}", a)
                args.append(cast_to(v, p.type))
        args += streams.captured_args(ctx, callee, node)   # streams the callee uses
        outs = []
        for r in callee.results:
            if isinstance(r, ir.Buffer):
                outs.append(ctx.new_buffer(f"{callee.name}_out", r.type, node, fresh=True))
            else:
                outs.append(ctx.new_scalar(f"{callee.name}_ret", r.type, node))
        ctx.emit(ir.Call(ctx.loc(node), callee, args, outs))
        written = written_buffers(callee)
        for (buf, prefix), tmp, p, a in rows:      # ... and copied back if the callee writes it
            if id(p) in written:
                views.write_row(eb, buf, prefix, tmp, a)
        values = [o if isinstance(o, ir.Buffer) else ir.Ref(o.type, ctx.loc(node), o) for o in outs]
        if not values:
            return None
        return tuple(values) if callee.returns_tuple else values[0]


class FunctionBuilder:
    def __init__(self, source: KernelSource, mb: ModuleBuilder, params: dict):
        self.src, self.ctx = source, FunctionContext(source, mb, params)
        self.sb = StmtBuilder(self.ctx)

    def build(self) -> ir.Function:
        tree, ctx = self.src.tree, self.ctx
        params = self.parameters(tree.args)
        ret_types, tuple_ret = self.return_types(tree)
        body = tree.body
        ret = body[-1] if body and isinstance(body[-1], ast.Return) else None
        if ret is not None:
            body = body[:-1]
        with ctx.nested(ctx.bodies[0], block=False):
            self.sb.body(body)
        if ctx.df_stages:
            dataflow.finish_region(ctx, ctx.loc(tree))
        results, is_tuple = self.results(ret, ret_types, tuple_ret, tree)
        # what a stage uses of its region (the return value included): scalars, streams
        params += ctx.captured_scalars + ctx.captured_streams
        f = ir.Function(tree.name, params, results, ctx.bodies[0], ctx.loc(tree),
                        [s for s in ctx.locals if s not in results], is_tuple)
        return f

    def parameters(self, args: ast.arguments):
        ctx = self.ctx
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            odd = args.vararg or args.kwarg or (args.kwonlyargs or args.defaults or
                                                 args.posonlyargs or [None])[0]
            raise ctx.error("kernels take plain positional parameters only "
                            "(no *args, **kwargs, defaults)", odd or args.args[0],
                            hint="give every parameter a name and a type: def k(A: int32[4], "
                                 "n: int32)")
        params = []
        for a in args.args:
            if a.annotation is None:
                raise ctx.type_error(f"parameter {a.arg!r} has no type annotation", a,
                                     hint=f"write {a.arg}: int32 or {a.arg}: int32[N] ...")
            typ = ctx.eval_annotation(a.annotation)
            if isinstance(typ, T.ArrayType):
                sym = ir.Buffer(ctx.unique(a.arg), typ, "arg", ctx.loc(a))
                ctx.record_memory(sym, typ, a)
            else:
                sym = ir.Scalar(ctx.unique(a.arg), typ, ctx.loc(a))
            ctx.bind(a.arg, sym)
            params.append(sym)
        return params

    def return_types(self, tree):
        ann = tree.returns
        if ann is None or (isinstance(ann, ast.Constant) and ann.value is None):
            return None, False
        if isinstance(ann, ast.Tuple):
            return [self.ctx.eval_annotation(e) for e in ann.elts], True
        return [self.ctx.eval_annotation(ann)], False

    def results(self, ret, types, tuple_ret, tree):
        ctx = self.ctx
        if ret is not None and isinstance(ret.value, ast.Constant) and ret.value.value is None:
            ret = ast.copy_location(ast.Return(value=None), ret)      # `return None`
        if ret is None or ret.value is None:
            if types:
                raise ctx.type_error(f"{tree.name} declares a return type but returns nothing",
                                     ret or tree, hint="end the kernel with `return <value>`")
            return [], False
        value_nodes = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
        is_tuple = isinstance(ret.value, ast.Tuple) or tuple_ret
        values = []
        with ctx.nested(ctx.bodies[0], block=False):
            for n in value_nodes:
                values.append(self.sb.eb.build(n))
        if len(values) == 1 and isinstance(values[0], tuple):   # return f(...) of a tuple kernel
            values, is_tuple = list(values[0]), True
        if types is not None and len(types) != len(values):
            raise ctx.type_error(f"{tree.name} declares {len(types)} results but returns "
                                 f"{len(values)}", ret)
        results = []
        for k, v in enumerate(values):
            typ = types[k] if types else (v.type if not isinstance(v, tuple) else None)
            results.append(self.result(k, v, typ, ret, results))
        return results, is_tuple

    def result(self, k, v, typ, ret, done):
        ctx, loc = self.ctx, self.ctx.loc(ret)
        if isinstance(typ, T.ArrayType) != isinstance(v, ir.Buffer):
            raise ctx.type_error(f"result {k} is declared {typ!r} but the value is "
                                 f"{'an array' if isinstance(v, ir.Buffer) else 'a scalar'}", ret)
        if isinstance(v, ir.Buffer):
            if v.kind == "local" and v.type == typ and v not in done:
                v.kind = "result"
                if v.name.startswith("_"):     # a temporary: ports need a public name
                    v.name = ctx.unique(f"ret{k}")
                return v
            out = ctx.new_buffer(f"ret{k}", typ, ret, kind="result")
            if v.kind == "arg" and v.type == typ:
                out.returns_param = v
            from .arrays import copy
            with ctx.nested(ctx.bodies[0], block=False):
                copy(self.sb.eb, out, v, ret)
            return out
        out = ir.Scalar(ctx.unique(f"ret{k}"), typ, loc)
        ctx.bodies[0].append(ir.Assign(loc, out, cast_to(v, typ)))
        return out


def parse_module(fn, instantiate=None, frames=None) -> ir.Module:
    """Parse ``fn`` and every kernel it calls into a verified IR module. ``frames`` are the
    caller's frames (``scope.caller_frames``) whose names the kernels may use."""
    KernelSource.check_function(fn)
    params = bind(fn, instantiate)
    mb = ModuleBuilder(frames)
    top = mb.function_for(fn, params)
    return verify_module(ir.Module(mb.functions, top.name))
