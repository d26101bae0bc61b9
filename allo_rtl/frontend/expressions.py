"""Python expressions -> typed IR expressions (scalars) or Buffers (array values).

Array-valued expressions (``A + B``, ``allo.matmul``, sub-kernel calls returning arrays) are
materialized into temporary buffers by statements emitted before the expression's use.
"""
from __future__ import annotations

import ast
import builtins
import inspect

import numpy as np

from .. import dsl
from ..ir import nodes as ir
from ..ir import semantics
from ..ir import types as T
from ..ir import typing_rule as rules
from . import arrays, builtin_calls, structs
from .source import NestedKernel
from .templates import bind, is_template

BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
          ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
          ast.RShift: ">>"}
CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
          ast.GtE: ">="}
BOOL = T.UInt(1)
VALUE_METHODS = ("reverse", "bitcast")


# --- small constructors -----------------------------------------------------------------
def const(value, typ, loc) -> ir.Const:
    return ir.Const(typ, loc, typ.from_python(value))


def float_literal(v: float, loc) -> ir.Const:
    """A Python float in a kernel: float32, remembering the exact value so that next to a
    float16/bfloat16/float64 operand it takes that type (numpy's weak Python scalars)."""
    c = const(v, T.float32, loc)
    c.literal = v
    return c


def literal_as(e, other_type):
    """``e`` retyped to the float type ``other_type`` if ``e`` is a float literal."""
    literal = getattr(e, "literal", None)
    if literal is None or not other_type.is_float or other_type == e.type:
        return e
    c = const(literal, other_type, e.loc)
    c.literal = literal
    return c


def int_const_type(v: int):
    if -(1 << 31) <= v < (1 << 31):
        return T.int32
    return T.Int(min(T.MAX_BITS, v.bit_length() + 1))


def cast_to(e: ir.Expr, typ, loc=None) -> ir.Expr:
    """``e`` converted to ``typ`` (Allo's assignment semantics); constants are folded."""
    if e.type == typ:
        return e
    if isinstance(e, ir.Const):
        if getattr(e, "literal", None) is not None and typ.is_float:
            return const(e.literal, typ, e.loc)          # x: float64 = 0.1 stays exact
        return ir.Const(typ, e.loc, T.cast(e.value, e.type, typ))
    return ir.Cast(typ, loc or e.loc, e)


def _widen_hint(lhs: ir.Expr, op: str, amount: int) -> str:
    need = lhs.type.bits + amount
    wide = "int64" if need <= 64 else f"Int({need})"
    what = "1" if isinstance(lhs, ir.Const) else "x"
    literal = " (an integer literal is typed like its neighbours, int32 by default)" \
        if isinstance(lhs, ir.Const) else ""
    return f"widen the value first: {wide}({what}) {op} {amount}{literal}"


def truth(e: ir.Expr) -> ir.Expr:
    """A uint1 condition from any scalar (nonzero is true)."""
    if e.type == BOOL:
        return e
    return ir.Compare(BOOL, e.loc, "!=", e, const(0, e.type, e.loc))


def fold(e: ir.Expr) -> ir.Expr:
    """Evaluate operators whose operands are all constants."""
    kids = ir.child_exprs(e)
    if not kids or not all(isinstance(k, ir.Const) for k in kids) or isinstance(e, ir.MathCall):
        return e
    if isinstance(e, ir.BinOp):
        v = semantics.binop(e.op, e.lhs.value, e.lhs.type, e.rhs.value, e.rhs.type, e.type)
    elif isinstance(e, ir.Compare):
        v = semantics.compare(e.op, e.lhs.value, e.lhs.type, e.rhs.value, e.rhs.type)
    elif isinstance(e, ir.Unary):
        v = semantics.unary(e.op, e.operand.value, e.operand.type, e.type)
    elif isinstance(e, ir.Cast):
        v = T.cast(e.operand.value, e.operand.type, e.type)
    else:
        return e
    return ir.Const(e.type, e.loc, v)


# --- the builder ------------------------------------------------------------------------
class ExprBuilder:
    def __init__(self, ctx):
        self.ctx = ctx

    def scalar(self, node) -> ir.Expr:
        v = self.build(node)
        if isinstance(v, ir.Expr):
            return v
        what = "an array" if isinstance(v, ir.Buffer) else \
            "a struct (read a field: p[\"x\"])" if isinstance(v, structs.StructValue) else "a tuple"
        raise self.ctx.type_error(f"expected a scalar here, got {what}", node,
                                  hint="index the array (A[i]) or assign it to an array variable")

    def index(self, node) -> ir.Expr:
        e = self.scalar(node)
        if not e.type.is_int:
            raise self.ctx.type_error(f"array index must be an integer, not {e.type!r}", node)
        return e

    def build(self, node):
        method = getattr(self, f"build_{type(node).__name__}", None)
        if method is None:
            raise self.ctx.error(f"{type(node).__name__} expressions are not supported in kernels",
                                 node, hint="see the supported subset in the README")
        return method(node)

    # --- leaves ---------------------------------------------------------------------
    def build_Constant(self, node):
        v = node.value
        if isinstance(v, bool):
            return const(int(v), BOOL, self.ctx.loc(node))
        if isinstance(v, int):
            return const(v, int_const_type(v), self.ctx.loc(node))
        if isinstance(v, float):
            return float_literal(v, self.ctx.loc(node))
        raise self.ctx.type_error(f"constant {v!r} cannot be used in a kernel", node)

    def build_Name(self, node):
        sym = self.ctx.symbols.get(node.id)
        if sym is not None:
            self.ctx.check_visible(node.id, node)
        if sym is None:
            from .streams import region_name   # (streams.py imports this module)
            value = region_name(self.ctx, node)    # a region's stream or scalar, in a stage
            if value is not None:
                return value
        if isinstance(sym, ir.Scalar):
            return ir.Ref(sym.type, self.ctx.loc(node), sym)
        if isinstance(sym, (ir.Buffer, structs.StructValue)):
            return sym
        if node.id in self.ctx.const_types:          # a ConstExpr keeps its declared type
            return const(self.ctx.env[node.id], self.ctx.const_types[node.id], self.ctx.loc(node))
        return self.from_python(self.ctx.lookup_global(node.id, node), node.id, node)

    def build_Attribute(self, node):
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if node.attr == "T" and self.is_kernel_value(node.value):     # numpy's transpose
            from . import layers
            return layers.transpose(self, self.build(node.value), None, node)
        if isinstance(base, ast.Name) and base.id in self.ctx.symbols:
            raise self.ctx.error(f"kernel values have no attributes: {ast.unparse(node)}", node,
                                 hint="bit access is x[i] or x[lo:hi]; casts are int32(x)")
        return self.from_python(self.python_object(node), ast.unparse(node), node)

    def python_object(self, node):
        """The Python object a (dotted) name in the kernel refers to, e.g. ``allo.grid``."""
        if isinstance(node, ast.Name):
            if node.id in self.ctx.symbols:
                raise self.ctx.error(f"{node.id!r} is a kernel variable, not a function", node)
            return self.ctx.lookup_global(node.id, node)
        if isinstance(node, ast.Attribute):
            base = self.python_object(node.value)
            if not hasattr(base, node.attr):
                raise self.ctx.error(f"{ast.unparse(node.value)!r} has no attribute {node.attr!r}",
                                     node)
            return getattr(base, node.attr)
        raise self.ctx.error(f"cannot call {ast.unparse(node)!r}", node)

    def from_python(self, value, name, node):
        loc = self.ctx.loc(node)
        if isinstance(value, (bool, np.bool_)):
            return const(int(value), BOOL, loc)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            t = numpy_scalar_type(value) or int_const_type(int(value))
            return const(int(value), t, loc)
        if isinstance(value, (float, np.floating)):
            return float_literal(float(value), loc)
        if isinstance(value, np.ndarray):
            return self.ctx.const_buffer(name, value, node)
        raise self.ctx.type_error(
            f"global {name!r} ({type(value).__name__}) cannot be used as a value in a kernel",
            node, hint="kernels can read Python/numpy numbers and numpy arrays from globals")

    # --- operators ------------------------------------------------------------------
    def build_BinOp(self, node):
        op = BINOPS.get(type(node.op))
        if isinstance(node.op, ast.Pow):          # x ** y is allo.power(x, y), as in Allo
            lhs, rhs = self.build(node.left), self.build(node.right)
            if not any(isinstance(v, ir.Expr) and v.type.is_float for v in (lhs, rhs)):
                # Allo lowers ** to math.powf only: integer operands are its RuntimeError
                raise self.ctx.type_error("** needs a float operand (Allo has no integer power)",
                                          node, hint="write float32(x) ** y, or x * x for a "
                                                     "square")
            return self.power(lhs, rhs, node)
        if op is None:
            raise self.ctx.error(f"operator {type(node.op).__name__} is not supported", node)
        lhs, rhs = self.build(node.left), self.build(node.right)
        if isinstance(lhs, ir.Buffer) or isinstance(rhs, ir.Buffer):
            return arrays.elementwise(self, op, lhs, rhs, node)
        return self.binop(op, self.need_scalar(lhs, node.left), self.need_scalar(rhs, node.right), node)

    def power(self, a, b, node):
        a, b = self.need_scalar(a, node), self.need_scalar(b, node)
        typ = rules.math_type(rules.select_type(a.type, b.type))
        loc = self.ctx.loc(node)
        if isinstance(b, ir.Const) and b.value in (2, 3) and typ.is_float and typ.bits <= 32:
            # x ** 2 and x ** 3 by products (float_pow.square/cube: exact in float64, rounded
            # once), a few float ops instead of the general log/exp sequence
            return ir.MathCall(typ, loc, "square" if b.value == 2 else "cube", [a])
        return ir.MathCall(typ, loc, "power", [a, b])

    def need_scalar(self, v, node):
        if isinstance(v, ir.Expr):
            return v
        if isinstance(v, structs.StructValue):
            raise self.ctx.type_error(f"a struct ({v.name}) cannot be used in arithmetic", node,
                                      hint=f'read a field: {v.name}["{next(iter(v.fields))}"]')
        raise self.ctx.type_error("a tuple cannot be used in arithmetic", node)

    def binop(self, op, lhs, rhs, node):
        lhs, rhs = literal_as(lhs, rhs.type), literal_as(rhs, lhs.type)
        tr = rules.binop_type(op, lhs.type, rhs.type)
        if tr is None:
            raise self.ctx.type_error(
                f"operator {op} is not defined for {lhs.type!r} and {rhs.type!r}", node,
                hint="bitwise operators and shifts need integer operands; cast first, e.g. int32(x)")
        if op in ("<<", ">>") and isinstance(rhs, ir.Const) and int(rhs.value) < 0:
            raise self.ctx.type_error(f"shift by a negative amount ({int(rhs.value)})", node,
                                      hint=f"shift the other way: x {'>>' if op == '<<' else '<<'} "
                                           f"{-int(rhs.value)}")
        if op in ("<<", ">>") and isinstance(rhs, ir.Const) and int(rhs.value) >= lhs.type.hw_bits:
            raise self.ctx.type_error(
                f"shift of a {lhs.type.bits}-bit {lhs.type!r} by {int(rhs.value)}: every bit "
                f"is shifted out (the result is always {'0' if op == '<<' else '0 or -1'})", node,
                hint=_widen_hint(lhs, op, int(rhs.value)))
        if tr.is_fixed and op in ("//",):
            raise self.ctx.type_error("floor division of fixed-point values is not supported", node,
                                      hint="use / (truncating division)")
        if op in ("/", "//") and tr.is_int:
            # Allo casts both operands to the result type before dividing (MLIR divsi /
            # floordivsi / divui on that type): int8 // uint8(200) divides by -56
            lhs, rhs = cast_to(lhs, tr), cast_to(rhs, tr)
        return fold(ir.BinOp(tr, self.ctx.loc(node), op, lhs, rhs))

    def build_UnaryOp(self, node):
        v = self.build(node.operand)
        if isinstance(v, ir.Buffer):
            if isinstance(node.op, ast.USub):
                return arrays.elementwise(self, "-", const(0, T.int32, self.ctx.loc(node)), v, node)
            raise self.ctx.error("only unary minus applies to whole arrays", node)
        e = self.need_scalar(v, node)
        loc = self.ctx.loc(node)
        if isinstance(node.op, ast.UAdd):
            return e
        if isinstance(node.op, ast.USub):
            return fold(ir.Unary(rules.unary_minus_type(e.type), loc, "-", e))
        if isinstance(node.op, ast.Invert):
            if not e.type.is_int:
                raise self.ctx.type_error(f"~ needs an integer, not {e.type!r}", node)
            return fold(ir.Unary(e.type, loc, "~", e))
        return fold(ir.Unary(BOOL, loc, "not", truth(e)))

    def build_Compare(self, node):
        odd = next((op for op in node.ops if type(op) not in CMPOPS), None)
        if odd is not None:
            word = "is" if isinstance(odd, (ast.Is, ast.IsNot)) else "in"
            raise self.ctx.error(f"comparison with {word!r} is not supported in kernels", node,
                                 hint="compare values with ==, !=, <, <=, >, >=")
        operands = [self.scalar(node.left)] + [self.scalar(c) for c in node.comparators]
        parts = []
        for op, lhs, rhs in zip(node.ops, operands, operands[1:]):
            if type(op) not in CMPOPS:
                raise self.ctx.error(f"comparison {type(op).__name__} is not supported", node,
                                     hint="use ==, !=, <, <=, >, >=")
            parts.append(fold(ir.Compare(BOOL, self.ctx.loc(node), CMPOPS[type(op)], lhs, rhs)))
        return parts[0] if len(parts) == 1 else ir.Logic(BOOL, self.ctx.loc(node), "and", parts)

    def build_BoolOp(self, node):
        op = "and" if isinstance(node.op, ast.And) else "or"
        from .streams import conditional
        first = truth(self.scalar(node.values[0]))
        with conditional(self.ctx, node):           # the others may not be evaluated
            rest = [truth(self.scalar(v)) for v in node.values[1:]]
        return ir.Logic(BOOL, self.ctx.loc(node), op, [first, *rest])

    def build_IfExp(self, node):
        cond = truth(self.scalar(node.test))
        from .streams import conditional
        with conditional(self.ctx, node):           # one of the two is not evaluated
            a, b = self.scalar(node.body), self.scalar(node.orelse)
        typ = rules.select_type(a.type, b.type)
        return ir.Select(typ, self.ctx.loc(node), cond, cast_to(a, typ), cast_to(b, typ))

    # --- subscripts: array loads, bit get, bit slice ---------------------------------
    def build_Subscript(self, node):
        subs, base = [], node
        while isinstance(base, ast.Subscript):
            subs.insert(0, base.slice)
            base = base.value
        value = self.build(base)
        if isinstance(value, structs.StructValue):                # p["x"]
            var = structs.field(self, value, subs.pop(0), node)
            value = ir.Ref(var.type, self.ctx.loc(node), var)
        if isinstance(value, ir.Buffer):
            indices = []
            while subs and len(indices) < len(value.shape):
                sub = subs.pop(0)
                elts = sub.elts if isinstance(sub, ast.Tuple) else [sub]
                if any(isinstance(e, ast.Slice) for e in elts):
                    if indices or subs:
                        raise self.ctx.error("an array slice takes one subscript: A[0:2, 1:3]",
                                             node, hint="copy with a loop for other forms")
                    from . import array_slices
                    return array_slices.read(self, value, array_slices.spec(self, value, elts,
                                                                            node), node)
                indices += [self.index(e) for e in elts]
            if len(indices) < len(value.shape) and not subs:      # A[i]: a row of A
                from . import views
                return views.read_row(self, value, [views.stable(self, i, node)
                                                    for i in indices], node)
            if len(indices) != len(value.shape):
                raise self.ctx.type_error(
                    f"{value.name} has {len(value.shape)} dimensions but is indexed with "
                    f"{len(indices)}", node, hint=f"write {value.name}[{', '.join('i' * 1 for _ in value.shape)}] with one index per dimension")
            value = ir.Load(value.dtype, self.ctx.loc(node), value, indices)
        for sub in subs:
            value = self.bit_access(self.need_scalar(value, node), sub, node)
        return value

    def bit_access(self, e, sub, node):
        if not (e.type.is_int and not isinstance(e.type, T.Index)) and not e.type.is_fixed:
            raise self.ctx.type_error(f"bit access needs an integer value, not {e.type!r}", node)
        loc = self.ctx.loc(node)
        if not isinstance(sub, ast.Slice):
            bit = self.index(sub)
            if isinstance(bit, ir.Const) and not 0 <= int(bit.value) < e.type.bits:
                raise self.ctx.type_error(f"bit {int(bit.value)} does not exist in {e.type!r} "
                                          f"(bits 0..{e.type.bits - 1})", node)
            return ir.BitGet(BOOL, loc, e, bit)
        if sub.lower is None or sub.upper is None or sub.step is not None:
            raise self.ctx.error("bit slices need both bounds and no step: x[lo:hi]", node)
        width, lo_node = self.slice_width(sub, node)
        if width < 1 or width > e.type.bits:
            raise self.ctx.type_error(f"bit slice of width {width} out of range for {e.type!r}",
                                      node, hint="Allo slices are x[lo:hi], hi exclusive: x[0:8] "
                                                 "is the low byte")
        return ir.BitSlice(T.UInt(width), loc, e, self.index(lo_node), width)

    def slice_width(self, sub, node):
        """Width of x[lo:hi] (Allo: hi exclusive). A constant descending x[7:0] is read as
        Verilog's inclusive [msb:lsb]."""
        lo, hi = _linear(sub.lower, self), _linear(sub.upper, self)
        if lo is None or hi is None or lo[0] != hi[0]:
            raise self.ctx.error("the width of a bit slice must be a constant", node,
                                 hint="write x[i:i + 4] or constant bounds")
        if not lo[0] and lo[1] > hi[1]:       # x[7:0]
            return lo[1] - hi[1] + 1, sub.upper
        return hi[1] - lo[1], sub.lower

    # --- calls ----------------------------------------------------------------------
    def build_Call(self, node):
        if isinstance(node.func, ast.Subscript):      # kernel[int8, 4](...): a template
            return self.call_instantiated(node)
        from . import streams
        if streams.is_stream_method(self, node):      # pipe.put(x), fifo[i, j].get()
            return streams.method_call(self, node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in VALUE_METHODS and \
                self.is_kernel_value(node.func.value):
            return self.value_method(node)
        fn = self.python_object(node.func)
        loc = self.ctx.loc(node)
        if inspect.isfunction(fn) and fn in builtin_calls.LOWERINGS:
            return builtin_calls.call(self, fn, node)
        if builtin_calls.is_dsl_builtin(fn):
            node = builtin_calls.without_name(node)
        if fn is dsl.concat:
            return self.call_concat(node)
        if node.keywords:
            raise self.ctx.error(f"keyword arguments are not supported in calls of "
                                 f"{ast.unparse(node.func)}", node)
        if isinstance(fn, T.AlloType) or fn in (int, float, builtins.bool):
            typ = {int: T.int32, float: T.float32, builtins.bool: BOOL}.get(fn, fn)
            (arg,) = self.args(node, 1)
            if isinstance(arg, ir.Buffer):
                return arrays.cast_array(self, arg, typ, node)
            return cast_to(self.need_scalar(arg, node), typ, loc)
        if fn in (builtins.min, builtins.max, builtins.abs):
            args = [self.scalar(a) for a in node.args]
            if (fn is builtins.abs) != (len(args) == 1) or not args:
                raise self.ctx.error(f"{fn.__name__} takes {'1 argument' if fn is abs else '2 or more arguments'}", node)
            typ = args[0].type
            for a in args[1:]:
                typ = rules.select_type(typ, a.type)
            return ir.MathCall(typ, loc, fn.__name__, args)
        if fn in dsl.MATH_FUNCS:
            (arg,) = self.args(node, 1)
            if isinstance(arg, ir.Buffer):
                return arrays.math_array(self, dsl.MATH_FUNCS[fn], arg, node)
            arg = self.need_scalar(arg, node)
            return ir.MathCall(rules.math_type(arg.type), loc, dsl.MATH_FUNCS[fn], [arg])
        if fn in dsl.ARRAY_BINOPS:
            a, b = self.args(node, 2)
            if isinstance(a, ir.Buffer) or isinstance(b, ir.Buffer):
                return arrays.elementwise(self, dsl.ARRAY_BINOPS[fn], a, b, node)
            return self.binop(dsl.ARRAY_BINOPS[fn], a, b, node)
        if fn is dsl.relu:
            (a,) = self.args(node, 1)
            if isinstance(a, ir.Buffer):
                zero = const(0, a.dtype, loc)
                return arrays.elementwise_max(self, a, zero, node)
            a = self.need_scalar(a, node)
            return ir.MathCall(a.type, loc, "max", [a, const(0, a.type, loc)])
        if fn is dsl.power:
            return self.power(*self.args(node, 2), node)
        if fn is dsl.copy:
            (a,) = self.args(node, 1)
            return arrays.copy_of(self, a, node)
        if fn is dsl.matmul:
            a, b = self.args(node, 2)
            return arrays.matmul(self, a, b, node)
        if fn in dsl.LOOP_ITERATORS or fn is range:
            raise self.ctx.error(f"{ast.unparse(node.func)}(...) can only be iterated by a for loop",
                                 node)
        if inspect.isfunction(fn) or isinstance(fn, NestedKernel):
            return self.ctx.mb.call_kernel(self, fn, node)
        raise self.ctx.error(f"cannot call {ast.unparse(node.func)!r} in a kernel", node,
                             hint="kernels can call other typed kernels, min/max/abs, type casts "
                                  "and allo.* builtins")

    def call_concat(self, node):
        kws = {k.arg: k.value for k in node.keywords}
        if set(kws) - {"axis"} or not 2 <= len(node.args) + len(kws) <= 3 or len(node.args) < 2:
            raise self.ctx.error("allo.concat takes (x, y, axis=0)", node)
        axis_node = node.args[2] if len(node.args) == 3 else kws.get("axis")
        axis = 0 if axis_node is None else self.ctx.eval_static(axis_node, what="the axis")
        if not isinstance(axis, int):
            raise self.ctx.error("allo.concat's axis must be an integer constant", axis_node)
        a, b = self.build(node.args[0]), self.build(node.args[1])
        return arrays.concat(self, a, b, axis, node)

    def is_kernel_value(self, node) -> bool:
        """True unless ``node`` is a (dotted) name of a Python object such as ``allo``."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return not isinstance(node, ast.Name) or node.id in self.ctx.symbols

    def value_method(self, node):
        """``x.reverse()`` (Allo's methods on kernel values)."""
        from . import bits
        if node.args or node.keywords:
            raise self.ctx.error(f".{node.func.attr}() takes no arguments", node)
        value = self.scalar(node.func.value)
        if node.func.attr == "bitcast":
            return self.bitcast(value, node)
        return bits.reverse(self, value, node)

    def bitcast(self, value, node):
        """Integers of 16/32/64 bits to the float of that width, floats to Int(width)."""
        t = value.type
        if t.is_float:
            target = T.Int(t.bits)
        elif t.is_int and not isinstance(t, T.Index) and t.bits in (16, 32, 64):
            target = T.Float(t.bits)
        else:
            raise self.ctx.type_error(f"bitcast() of {t!r}: Allo reinterprets 16/32/64-bit "
                                      "integers as floats and floats as integers", node,
                                      hint="slice the value to 16, 32 or 64 bits first")
        return ir.MathCall(target, self.ctx.loc(node), "bitcast", [value])

    def call_instantiated(self, node):
        fn = self.python_object(node.func.value)
        if not inspect.isfunction(fn) or not is_template(fn):
            raise self.ctx.error(f"{ast.unparse(node.func.value)} is not a template kernel; "
                                 "call it without [...]", node.func)
        sub = node.func.slice
        values = [self.ctx.eval_static(e) for e in (sub.elts if isinstance(sub, ast.Tuple)
                                                    else [sub])]
        ident = values.pop() if values and isinstance(values[-1], str) else None
        params = bind(fn, values, self.ctx.loc(node.func))
        if ident is not None:     # Allo's kernel[..., "id"]: its own instance, named fn_id
            params = {**params, "__instance_id__": ident}
        if node.keywords:
            raise self.ctx.error("keyword arguments are not supported in kernel calls", node)
        return self.ctx.mb.call_kernel(self, fn, node, params)

    def args(self, node, n):
        if len(node.args) != n:
            raise self.ctx.error(f"{ast.unparse(node.func)} takes {n} argument(s), "
                                 f"got {len(node.args)}", node)
        return [self.build(a) for a in node.args]


def numpy_scalar_type(value):
    if isinstance(value, np.integer):
        return T.Int(value.dtype.itemsize * 8) if value.dtype.kind == "i" else T.UInt(value.dtype.itemsize * 8)
    return None


def _linear(node, eb):
    """(symbolic part, constant) of an expression made of +, - and integer constants."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        a, b = _linear(node.left, eb), _linear(node.right, eb)
        if a is None or b is None:
            return None
        sign = 1 if isinstance(node.op, ast.Add) else -1
        terms = dict(a[0])
        for k, v in b[0]:
            terms[k] = terms.get(k, 0) + sign * v
        return frozenset((k, v) for k, v in terms.items() if v), a[1] + sign * b[1]
    try:
        e = eb.scalar(node)
    except Exception:   # noqa: BLE001 - not linear; the caller reports the slice error
        return None
    if isinstance(e, ir.Const) and not e.type.is_float:
        return frozenset(), int(e.value) >> e.type.fracs if e.type.fracs else int(e.value)
    return frozenset({(ast.dump(node), 1)}), 0


__all__ = ["ExprBuilder", "cast_to", "truth", "const"]
