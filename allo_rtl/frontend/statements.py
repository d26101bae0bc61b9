"""Python statements -> IR statements: declarations, assignments, loops, branches, calls."""
from __future__ import annotations

import ast
import copy as pycopy

import numpy as np

from .. import dsl
from ..errors import AlloError
from ..ir import nodes as ir
from ..ir import types as T
from . import aliasing, arrays, bits, dataflow, meta, streams, structs, views
from .expressions import ExprBuilder, cast_to, truth
from .source import NestedKernel

LOOP_HINTS = ("name", "pipeline", "unroll")
REFUSED = {
    ast.Break: "break is not supported in kernels; use a while loop with a flag",
    ast.Continue: "continue is not supported in kernels; use if/else inside the loop",
    ast.Try: "try/except is not supported in kernels",
    ast.Raise: "raise is not supported in kernels",
    ast.Assert: "assert is not supported in kernels",
    ast.Import: "imports belong outside the kernel",
    ast.ImportFrom: "imports belong outside the kernel",
    ast.Global: "global declarations are not supported; pass values as arguments",
    ast.Nonlocal: "nonlocal declarations are not supported",
    ast.ClassDef: "class definitions are not supported in kernels",
    ast.Delete: "del is not supported in kernels",
    ast.Return: "only one return, as the kernel's last statement, is supported",
}


class StmtBuilder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.eb = ExprBuilder(ctx)

    def body(self, stmts):
        for s in stmts:
            self.stmt(s)

    def stmt(self, node):
        if type(node) in REFUSED:
            raise self.ctx.error(REFUSED[type(node)], node)
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        if method is None:
            raise self.ctx.error(f"{type(node).__name__} statements are not supported in kernels",
                                 node)
        if not isinstance(node, ast.With):
            self.ctx.meta_chain = None          # a meta_elif must directly follow its meta_if
        method(node)
        if not isinstance(node, ast.With):
            self.ctx.meta_chain = None

    def stmt_With(self, node):
        meta.with_block(self, node)

    def stmt_FunctionDef(self, node):
        """A ``def`` inside a kernel: a sub-kernel the rest of the body may call."""
        name = node.name
        if not self.ctx.may_declare(name):
            raise self.ctx.error(f"{name!r} is already a variable of this kernel", node,
                                 hint="give the nested kernel another name")
        stage = dataflow.kernel_decorator(self, node)
        if stage is not None:             # @df.kernel in a region: its PEs are built now
            return dataflow.stage_def(self, node, stage)
        for a in node.args.args:          # checked here even if the kernel is never called
            if a.annotation is None:
                raise self.ctx.type_error(f"parameter {a.arg!r} of nested kernel {name} has no "
                                          "type annotation", a, hint=f"write {a.arg}: int32 ...")
            if a.arg in self.ctx.symbols:     # Allo's symbol table refuses the shadowing
                raise self.ctx.error(f"parameter {a.arg!r} of nested kernel {name} has the name "
                                     "of a variable of the enclosing kernel", a,
                                     hint=f"rename the parameter (the caller still passes "
                                          f"{a.arg} to it)")
        self.ctx.env[name] = NestedKernel(self.ctx, node)

    def stmt_Pass(self, node):
        pass

    def stmt_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return   # docstring
        if isinstance(node.value, (ast.Yield, ast.YieldFrom, ast.Await)):
            raise self.ctx.error("kernels are plain functions: yield and await are not "
                                 "supported", node, hint="return the results instead")
        if not isinstance(node.value, ast.Call):
            raise self.ctx.error("this expression has no effect", node,
                                 hint="assign its value or remove it")
        self.eb.build(node.value)

    # --- declarations and assignments -----------------------------------------------
    def stmt_AnnAssign(self, node):
        if not isinstance(node.target, ast.Name):
            raise self.ctx.error("annotated targets must be plain names: x: int32 = 0", node)
        name = node.target.id
        ann = self.ctx.annotation_value(node.annotation)
        if streams.is_stream_type(ann):
            return streams.declare(self, node, ann)
        if isinstance(ann, T.ConstExprAnnotation):
            if not self.ctx.may_declare(name):
                raise self.ctx.type_error(f"{name!r} is declared twice", node)
            return meta.declare_constexpr(self, node, ann)
        if isinstance(ann, T.Struct):
            if not self.ctx.may_declare(name):
                raise self.ctx.type_error(f"{name!r} is declared twice", node)
            self.ctx.declared(name, node)
            return structs.declare(self, node, name, ann)
        typ = self.ctx.check_type(ann, node.annotation)
        if not self.ctx.may_declare(name):
            sym = self.ctx.symbols.get(name)
            if getattr(sym, "type", None) == typ and node.value is not None and \
                    sym in self.ctx.locals:
                # Allo: re-declaring with the same type in the same scope is an assignment
                return self.redeclared_assign(node, sym, typ)
            raise self.ctx.type_error(f"{name!r} is declared twice with another type", node,
                                      hint="use a new name, or drop the annotation to assign "
                                           "to the existing variable")
        self.ctx.const_types.pop(name, None)
        self.ctx.declared(name, node)
        if isinstance(node.value, (ast.List, ast.Tuple)) and isinstance(typ, T.ArrayType):
            rom = self.list_literal(node.value, typ)
            buf = self.ctx.new_buffer(name, typ, node)
            self.ctx.record_memory(buf, typ, node)     # the copy's memory, not the ROM's
            self.ctx.bind(name, buf)
            arrays.copy(self.eb, buf, rom, node)
            return
        if isinstance(typ, T.ArrayType):
            value = self.eb.build(node.value) if node.value is not None else None
            if (isinstance(value, ir.Buffer) and id(value) in self.ctx.fresh
                    and value.type == typ):
                value.name = self.ctx.unique(name)
                self.ctx.record_memory(value, typ, node)
                self.ctx.bind(name, value)
                return
            buf = self.ctx.new_buffer(name, typ, node)
            self.ctx.record_memory(buf, typ, node)
            self.ctx.bind(name, buf)
            if value is not None:
                self.check_value(value, node.value)
                arrays.copy(self.eb, buf, value, node)
            return
        var = self.ctx.new_scalar(name, typ, node)
        if node.value is not None:
            value = self.eb.scalar(node.value)
            self.ctx.emit(ir.Assign(self.ctx.loc(node), var, cast_to(value, typ)))
        self.ctx.bind(name, var)

    def redeclared_assign(self, node, sym, typ):
        if isinstance(typ, T.ArrayType) and isinstance(node.value, (ast.List, ast.Tuple)):
            return arrays.copy(self.eb, sym, self.list_literal(node.value, typ), node)
        target = ast.copy_location(ast.Name(node.target.id, ast.Store()), node.target)
        self.stmt_Assign(ast.copy_location(ast.Assign(targets=[target], value=node.value), node))

    def list_literal(self, node, typ):
        """``[1, 2, 3]`` for an array: a constant array (a ROM) of the declared type."""
        try:
            values = np.array(self.ctx.eval_static(node, what="an array literal"), dtype=object)
        except AlloError:
            raise self.ctx.error("array literals hold constants only", node,
                                 hint="fill the array with a loop for computed values") from None
        if values.shape != typ.shape:
            raise self.ctx.type_error(f"a literal of shape {values.shape} cannot initialize "
                                      f"{typ!r}", node, hint="give one value per element")
        raw = np.empty(typ.shape, dtype=object)
        for idx, v in np.ndenumerate(values):
            if not isinstance(v, (int, float, np.integer, np.floating)):
                raise self.ctx.type_error(f"array literal element {v!r} is not a number", node)
            raw[idx] = typ.dtype.from_python(v)
        rom = self.ctx.new_buffer("_lit", typ, node, kind="const", init=raw)
        self.ctx.locals.append(rom)
        return rom

    def check_value(self, value, node):
        if isinstance(value, tuple):
            raise self.ctx.type_error("a tuple cannot be assigned to one variable", node)

    def stmt_Assign(self, node):
        if len(node.targets) != 1:
            raise self.ctx.error("chained assignment (a = b = c) is not supported", node)
        target = node.targets[0]
        if dataflow.is_get_pid(self, node.value):
            return dataflow.bind_pid(self, node)
        if isinstance(target, ast.Tuple):
            return self.assign_tuple(target, node)
        sym = self.ctx.symbols.get(target.id) if isinstance(target, ast.Name) else None
        if sym is not None:
            self.ctx.check_visible(target.id, target)
        if isinstance(sym, structs.StructValue):
            return structs.assign(self, sym, node.value, node)
        if isinstance(sym, ir.Buffer) and sym.kind != "const" and \
                isinstance(node.value, (ast.List, ast.Tuple)):      # tmp = [[1, 2], [3, 4]]
            return arrays.copy(self.eb, sym, self.list_literal(node.value, sym.type), node)
        value = self.eb.build(node.value)
        self.check_value(value, node.value)
        self.assign(target, value, node)

    def assign_tuple(self, target, node):
        value = self.eb.build(node.value) if not isinstance(node.value, ast.Tuple) else \
            tuple(self.snapshot(self.eb.build(v), v) for v in node.value.elts)
        if not isinstance(value, tuple) or len(value) != len(target.elts):
            raise self.ctx.type_error(f"cannot unpack into {len(target.elts)} targets", node)
        for t, v in zip(target.elts, value):
            self.assign(t, v, node)

    def snapshot(self, v, node):
        """Copy a scalar into a temp so `a, b = b, a` reads values before any write."""
        if isinstance(v, ir.Expr) and not isinstance(v, ir.Const):
            tmp = self.ctx.new_scalar("_swap", v.type, node)
            self.ctx.emit(ir.Assign(self.ctx.loc(node), tmp, v))
            return ir.Ref(v.type, v.loc, tmp)
        return v

    def assign(self, target, value, node):
        loc = self.ctx.loc(node)
        if isinstance(target, ast.Name):
            sym = self.ctx.symbols.get(target.id)
            if isinstance(sym, ir.Scalar) and sym.type == T.index and sym not in self.ctx.locals:
                raise self.ctx.error(f"loop index {target.id!r} cannot be assigned", node,
                                     hint="copy it into a new variable first")
            if isinstance(sym, ir.Scalar):
                if not isinstance(value, ir.Expr):
                    raise self.ctx.type_error(f"cannot assign an array to scalar {target.id!r}", node)
                self.ctx.emit(ir.Assign(loc, sym, cast_to(value, sym.type)))
            elif isinstance(sym, ir.Buffer):
                if sym.kind == "const":
                    raise self.ctx.type_error(f"{target.id!r} is a constant array", node)
                if isinstance(value, ir.Buffer):
                    self.check_alias(target.id, node)
                arrays.copy(self.eb, sym, value, node)
            elif isinstance(value, ir.Buffer):
                self.check_alias(target.id, node)
                if id(value) in self.ctx.fresh:
                    value.name = self.ctx.unique(target.id)
                    self.ctx.bind(target.id, value)
                else:
                    buf = self.ctx.new_buffer(target.id, value.type, node)
                    self.ctx.bind(target.id, buf)
                    arrays.copy(self.eb, buf, value, node)
            else:   # a new scalar takes the value's type, as Allo infers it
                var = self.ctx.new_scalar(target.id, value.type, node)
                self.ctx.bind(target.id, var)
                self.ctx.emit(ir.Assign(loc, var, value))
            return
        if isinstance(target, ast.Subscript):
            return self.store(target, value, node)
        raise self.ctx.error(f"cannot assign to {ast.unparse(target)!r}", node)

    def check_alias(self, new: str, node):
        """``C = A`` copies (Allo); refuse it where Python's alias would compute otherwise."""
        if not isinstance(node, ast.Assign) or not isinstance(node.value, (ast.Name,
                                                                           ast.Subscript)):
            return
        old = aliasing._root_name(node.value)
        if not isinstance(self.ctx.symbols.get(old), ir.Buffer):
            return
        conflict = aliasing.conflicting_write(self.ctx.src.tree, node, new, old)
        if conflict is None:
            return
        write, name = conflict
        src = ast.unparse(node.value)
        raise self.ctx.type_error(
            f"{new} = {src} copies the array (as Allo does), but in Python {new} would be "
            f"another name for {src}; {name} is written later, where the two differ", node,
            hint=f"declare a copy, {new}: <type>[<shape>] = {src}, or write through {old}",
            notes=[(self.ctx.loc(write), f"{name} is written here")])

    def store(self, target, value, node):
        base, subs = target, []
        while isinstance(base, ast.Subscript):
            subs.insert(0, base.slice)
            base = base.value
        if isinstance(base, ast.Name) and isinstance(self.ctx.symbols.get(base.id), ir.Scalar):
            return self.store_bits_of_scalar(self.ctx.symbols[base.id], subs, value, node)
        if isinstance(base, ast.Name) and isinstance(self.ctx.symbols.get(base.id),
                                                     structs.StructValue):    # p["x"] = v
            var = structs.field(self.eb, self.ctx.symbols[base.id], subs[0], node)
            if len(subs) > 1:
                return self.store_bits_of_scalar(var, subs[1:], value, node)
            if not isinstance(value, ir.Expr):
                raise self.ctx.type_error("a struct field holds a scalar", node)
            return self.ctx.emit(ir.Assign(self.ctx.loc(node), var, cast_to(value, var.type)))
        buf = self.eb.build(base)
        if not isinstance(buf, ir.Buffer):
            raise self.ctx.error(f"cannot assign to {ast.unparse(target)!r}", node)
        if buf.kind == "const":
            raise self.ctx.type_error(f"{buf.name!r} is a constant array", node)
        elts, k = [], 0
        while k < len(subs) and len(elts) < len(buf.shape):
            elts += subs[k].elts if isinstance(subs[k], ast.Tuple) else [subs[k]]
            k += 1
        field_subs = subs[k:]
        if k == 1 and not field_subs and any(isinstance(e, ast.Slice) for e in elts):
            from . import array_slices                  # A[0:2, 0:3] = B
            return array_slices.write(self.eb, buf, array_slices.spec(self.eb, buf, elts, node),
                                      value, node)
        if len(elts) > len(buf.shape) or any(isinstance(e, ast.Slice) for e in elts) or \
                len(field_subs) > 1 or (field_subs and len(elts) < len(buf.shape)):
            raise self.ctx.type_error(
                f"store into {buf.name} needs {len(buf.shape)} indices (then at most one bit "
                "index or slice)", node, hint="array slices are not supported")
        indices = [self.eb.index(e) for e in elts]
        if len(elts) < len(buf.shape):                # A[i] = row
            if not isinstance(value, ir.Buffer):
                raise self.ctx.type_error(
                    f"store into {buf.name} needs exactly {len(buf.shape)} indices", node,
                    hint="a row A[i] can only be assigned an array of the row's shape")
            return views.write_row(self.eb, buf, indices, value, node)
        if not isinstance(value, ir.Expr):
            raise self.ctx.type_error(f"cannot store an array into one element of {buf.name}", node)
        loc = self.ctx.loc(node)
        if field_subs:                                # A[i][lo:hi] = v
            old = ir.Load(buf.dtype, loc, buf, indices)
            value = bits.insert(self.eb, old, field_subs[0], value, node)
        self.ctx.emit(ir.Store(loc, buf, indices, cast_to(value, buf.dtype)))

    def store_bits_of_scalar(self, sym, subs, value, node):
        """``x[3] = b`` / ``x[0:4] = v`` on a scalar variable."""
        if len(subs) != 1:
            raise self.ctx.error("a scalar takes one bit index or slice: x[3] = b, x[0:4] = v",
                                 node)
        if not isinstance(value, ir.Expr):
            raise self.ctx.type_error("cannot store an array into bits of a scalar", node)
        loc = self.ctx.loc(node)
        new = bits.insert(self.eb, ir.Ref(sym.type, loc, sym), subs[0], value, node)
        self.ctx.emit(ir.Assign(loc, sym, new))

    def stmt_AugAssign(self, node):
        load = pycopy.deepcopy(node.target)
        for n in ast.walk(load):
            if hasattr(n, "ctx"):
                n.ctx = ast.Load()
        value = ast.BinOp(left=load, op=node.op, right=node.value)
        ast.copy_location(value, node)
        self.stmt_Assign(ast.copy_location(ast.Assign(targets=[node.target], value=value), node))

    # --- control flow ---------------------------------------------------------------
    def stmt_If(self, node):
        cond = truth(self.eb.scalar(node.test))
        s = ir.If(self.ctx.loc(node), cond, [], [])
        self.ctx.emit(s)
        with self.ctx.nested(s.then_body):
            self.body(node.body)
        with self.ctx.nested(s.else_body):
            self.body(node.orelse)

    def stmt_While(self, node):
        if node.orelse:
            raise self.ctx.error("while/else is not supported", node)
        probe = []
        with self.ctx.nested(probe):
            cond = truth(self.eb.scalar(node.test))
        if probe:
            raise self.ctx.error("a while condition cannot call kernels or array operations",
                                 node.test, hint="compute it into a variable inside the loop")
        s = ir.While(self.ctx.loc(node), cond, [])
        self.ctx.emit(s)
        with self.ctx.nested(s.body):
            self.body(node.body)

    def stmt_For(self, node):
        if node.orelse:
            raise self.ctx.error("for/else is not supported", node)
        it = node.iter
        if not isinstance(it, ast.Call):
            raise self.ctx.error("kernels loop over range(...), allo.grid(...) or "
                                 "allo.reduction(...)", node.iter)
        fn = self.eb.python_object(it.func)
        hints = self.loop_hints(it)
        names = self.target_names(node.target, node)
        if fn is range:
            if len(names) != 1:
                raise self.ctx.error("range() gives one index per iteration", node.target)
            if len(it.args) == 3 and not isinstance(it.args[2], ast.Constant):
                step = self.eb.scalar(it.args[2])
                if not isinstance(step, ir.Const):
                    return self.runtime_step_loop(node, it, names[0], hints, step)
            bounds = self.range_bounds(it)
            specs = [(names[0], *bounds)]
        elif fn in dsl.LOOP_ITERATORS:
            if fn is dsl.reduction:
                hints.setdefault("reduction", True)
            extents = [self.grid_extent(a) for a in it.args]
            if len(extents) != len(names):
                raise self.ctx.error(f"{len(names)} loop indices for {len(extents)} dimensions",
                                     node.target)
            specs = [(n, ir.Const(T.index, self.ctx.loc(it), 0), e, 1)
                     for n, e in zip(names, extents)]
        else:
            raise self.ctx.error(f"cannot loop over {ast.unparse(it.func)}(...)", node.iter,
                                 hint="use range(...), allo.grid(...) or allo.reduction(...)")
        self.emit_loops(specs, hints, node)

    def emit_loops(self, specs, hints, node):
        band = hints.pop("name", None)
        saved = {}
        body = self.ctx.body
        for name, lo, hi, step in specs:
            var = ir.Scalar(self.ctx.unique(name), T.index, self.ctx.loc(node))
            loop_name = self.ctx.unique_loop_name(name)
            attrs = {k: v for k, v in hints.items() if v not in (None, False)}
            if band:
                attrs["band"] = band
            loop = ir.For(self.ctx.loc(node), loop_name, var, lo, hi, step, [], attrs)
            body.append(loop)
            body = loop.body
            saved[name] = self.ctx.symbols.get(name)
            self.ctx.symbols[name] = var
        with self.ctx.nested(body):
            self.body(node.body)
        for name, old in saved.items():
            if old is None:
                self.ctx.symbols.pop(name, None)
            else:
                self.ctx.symbols[name] = old

    def target_names(self, target, node):
        elts = target.elts if isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(e, ast.Name) for e in elts):
            raise self.ctx.error("loop indices must be plain names", target)
        for e in elts:
            if e.id in self.ctx.symbols:
                sym = self.ctx.symbols[e.id]
                enclosing = isinstance(sym, ir.Scalar) and sym.type == T.index and \
                    sym not in self.ctx.locals
                what = "an enclosing loop's index" if enclosing else "a variable's name"
                raise self.ctx.error(f"loop index {e.id!r} reuses {what}", e,
                                     hint="choose another index name")
        return [e.id for e in elts]

    def loop_hints(self, call):
        hints = {}
        for kw in call.keywords:
            if kw.arg not in LOOP_HINTS:
                raise self.ctx.error(f"unknown loop option {kw.arg}=; Allo accepts "
                                     f"{', '.join(LOOP_HINTS)}", kw.value)
            try:
                hints[kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                raise self.ctx.error(f"loop option {kw.arg}= must be a constant", kw.value) from None
        return hints

    def range_bounds(self, call):
        args = call.args
        if not 1 <= len(args) <= 3:
            raise self.ctx.error("range takes 1 to 3 arguments", call)
        step = self.const_int(args[2]) if len(args) == 3 else 1
        if step == 0:
            raise self.ctx.error("range() step must not be zero", args[2])
        for a in args:
            if isinstance(a, ast.Constant) and not isinstance(a.value, int):
                raise self.ctx.type_error(f"range bounds must be integers, not {a.value!r}", a)
        lo = self.eb.index(args[0]) if len(args) > 1 else ir.Const(T.index, self.ctx.loc(call), 0)
        hi = self.eb.index(args[1] if len(args) > 1 else args[0])
        return lo, hi, step

    def runtime_step_loop(self, node, it, name, hints, step):
        """``for j in range(lo, hi, step)`` with a step known only at run time (read from an
        array, say): a ``while`` over a 64-bit counter, the bounds and step read once as
        Python does, ``j`` set from the counter at the top of each iteration (so the body
        assigning ``j`` does not change the iteration). Either direction runs as Python's;
        a zero step runs no iteration (Python raises ValueError). Not a loop schedules name."""
        if hints:
            raise self.ctx.error(f"loop options ({', '.join(hints)}) need a constant step", it,
                                 hint="a loop whose step is computed at run time is a while "
                                      "loop in hardware; no schedule applies to it")
        loc, i64, one_bit = self.ctx.loc(it), T.Int(64), T.UInt(1)
        if not step.type.is_int:
            raise self.ctx.type_error(f"range() step must be an integer, not {step.type!r}",
                                      it.args[2])
        lo, hi = (self.eb.index(a) for a in it.args[:2])

        def snapshot(base, e):
            var = self.ctx.new_scalar(base, i64, it)
            self.ctx.emit(ir.Assign(loc, var, cast_to(e, i64, loc)))
            return ir.Ref(i64, loc, var)
        counter = snapshot(f"_{name}_next", lo)
        hi, step = snapshot("_hi", hi), snapshot("_step", step)
        zero = ir.Const(i64, loc, 0)
        cmp = lambda op, a, b: ir.Compare(one_bit, loc, op, a, b)         # noqa: E731
        cond = ir.Logic(one_bit, loc, "or", [
            ir.Logic(one_bit, loc, "and", [cmp(">", step, zero), cmp("<", counter, hi)]),
            ir.Logic(one_bit, loc, "and", [cmp("<", step, zero), cmp(">", counter, hi)])])
        loop = ir.While(loc, cond, [])
        self.ctx.emit(loop)
        var = self.ctx.new_scalar(name, T.index, node)
        saved = self.ctx.symbols.get(name)
        self.ctx.symbols[name] = var
        with self.ctx.nested(loop.body):
            self.ctx.emit(ir.Assign(loc, var, cast_to(counter, T.index, loc)))
            self.ctx.emit(ir.Assign(loc, counter.var,
                                    ir.BinOp(i64, loc, "+", counter, step)))
            self.body(node.body)
        if saved is None:
            self.ctx.symbols.pop(name, None)
        else:
            self.ctx.symbols[name] = saved

    def grid_extent(self, node) -> ir.Expr:
        """One extent of ``allo.grid(...)``: a constant, or a value computed at run time that
        is read once before the loops (as Python evaluates the call once), not again on each
        iteration of the outer loops."""
        e = self.eb.index(node)
        if isinstance(e, ir.Const):
            return e
        tmp = self.ctx.new_scalar("_extent", e.type, node)
        self.ctx.emit(ir.Assign(self.ctx.loc(node), tmp, e))
        return ir.Ref(e.type, e.loc, tmp)

    def const_int(self, node) -> int:
        e = self.eb.scalar(node)
        if not isinstance(e, ir.Const) or not e.type.is_int:
            raise self.ctx.error(f"{ast.unparse(node)} must be a constant integer here", node,
                                 hint="use a literal or a global Python int")
        return int(e.value)
