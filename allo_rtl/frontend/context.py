"""State shared while one kernel function is turned into IR: symbols, the body being emitted,
unique names, constant globals, and user-facing errors that point at the source."""
from __future__ import annotations

import ast
import builtins
from contextlib import contextmanager

import numpy as np

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir import nodes as ir
from ..ir import types as T


def numpy_dtype_to_allo(dt: np.dtype):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return T.UInt(1)
    if dt.kind in "iu":
        return (T.Int if dt.kind == "i" else T.UInt)(dt.itemsize * 8)
    if dt.kind == "f":
        return T.float32
    return None


class FunctionContext:
    def __init__(self, source, module_builder, params: dict):
        self.src = source
        self.mb = module_builder
        self.env = {**source.namespace(module_builder.frames), **params}
        self.template_args = params     # this instantiation's template parameters
        self.symbols: dict = {}
        self.locals: list = []
        self.used_names: set = set()
        self.loop_names: set = set()
        self.bodies: list = [[]]
        self.fresh: set = set()          # ids of temp buffers no name refers to yet
        self.const_buffers: dict = {}
        self.const_types: dict = {}      # ConstExpr locals: name -> declared type
        self.scope: list = [0]           # path of the scopes being built (one per body)
        self.scopes_made = 0
        self.declared_in: dict = {}      # name -> scope path where it was declared
        self.declared_at: dict = {}      # name -> the line of that declaration
        self.open_scopes: set = set()    # scopes that are no block (see nested)
        self.meta_chain = None           # after a meta_if/elif: whether a body was taken
        # streams (streams.py) and dataflow regions (dataflow.py)
        self.captured_streams: list = []  # parameters for streams another function declared
        self.captured_scalars: list = []  # parameters for a region's scalars a stage reads
        self.stream_uses: dict = {}       # id(channel) -> {"put"/"get": first loc}
        self.df_stages: list = []         # a region's stage calls, in order
        self.conditional_expr = None      # inside `a if c else b` / later `and` operands

    # --- errors ---------------------------------------------------------------------
    def loc(self, node) -> ir.Loc:
        return self.src.loc(node)

    def error(self, msg, node, hint=None, cls=AlloSyntaxError, notes=()):
        return cls(msg, self.loc(node) if node is not None else None, hint, notes)

    def type_error(self, msg, node, hint=None, notes=()):
        return self.error(msg, node, hint, AlloTypeError, notes)

    # --- emission -------------------------------------------------------------------
    @property
    def body(self) -> list:
        return self.bodies[-1]

    def emit(self, stmt):
        self.body.append(stmt)

    @contextmanager
    def nested(self, body: list, block: bool = True):
        """Emit into ``body``, in a new scope: a name declared inside may be declared again
        in a later sibling scope, and is not visible after the block (as in Allo). Scopes
        that are no block (``block=False``: the kernel's top level and its return, a
        meta_if/meta_for body expanded at compile time) leave what they declare visible."""
        self.bodies.append(body)
        self.scopes_made += 1
        self.scope.append(self.scopes_made)
        if not block:
            self.open_scopes.add(self.scopes_made)
        try:
            yield body
        finally:
            self.bodies.pop()
            self.scope.pop()

    def may_declare(self, name) -> bool:
        """False if ``name`` is already declared in this scope or an enclosing one."""
        if name not in self.symbols and name not in self.const_types:
            return True
        path = self.declared_in.get(name)
        return path is not None and tuple(self.scope[:len(path)]) != path

    def declared(self, name, node=None):
        self.declared_in[name] = tuple(self.scope)
        if node is not None:
            self.declared_at[name] = self.loc(node).line

    def check_visible(self, name, node):
        """Refuse a use of ``name`` after the if/else branch or loop body that declared it
        has ended: Allo scopes a declaration to its block (Python would read the last value
        written, or fail at run time if the branch was not taken)."""
        path = self.declared_in.get(name)
        if path is None:
            return
        blocks = lambda p: tuple(s for s in p if s not in self.open_scopes)   # noqa: E731
        mine, here = blocks(path), blocks(self.scope)
        if here[:len(mine)] != mine:
            line = self.declared_at.get(name)
            at = f" (line {line})" if line else ""
            raise self.type_error(
                f"{name!r} is declared inside a block{at} that has ended: a declaration is "
                "visible only in its if/else branch or loop body (Allo's scoping)", node,
                hint=f"declare {name!r} before the block, e.g. `{name}: int32 = 0`, and assign "
                     "to it inside")

    # --- names and symbols ----------------------------------------------------------
    def unique(self, base: str) -> str:
        name, k = base, 1
        while name in self.used_names:
            name, k = f"{base}_{k}", k + 1
        self.used_names.add(name)
        return name

    def unique_loop_name(self, base: str) -> str:
        name, k = base, 1
        while name in self.loop_names:
            name, k = f"{base}{k}", k + 1
        self.loop_names.add(name)
        return name

    def new_scalar(self, base, typ, node, declare=True) -> ir.Scalar:
        s = ir.Scalar(self.unique(base), typ, self.loc(node))
        if declare:
            self.locals.append(s)
        return s

    def new_buffer(self, base, typ, node, kind="local", init=None, fresh=False) -> ir.Buffer:
        b = ir.Buffer(self.unique(base), typ, kind, self.loc(node), init)
        if kind == "local":
            self.locals.append(b)
        if fresh:
            self.fresh.add(id(b))
        return b

    def record_memory(self, buf, typ, node):
        """Keep an ``@ Memory(...)`` request on the array (the hardware build honours it)."""
        if typ.memory is not None:
            buf.memory = typ.memory

    def bind(self, name, sym):
        self.symbols[name] = sym
        self.fresh.discard(id(sym))

    # --- globals --------------------------------------------------------------------
    def lookup_global(self, name, node):
        if name in self.env:
            return self.env[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise self.error(f"name {name!r} is not defined", node,
                         hint="declare locals with a type annotation (x: int32 = 0) before use")

    def const_buffer(self, name, array: np.ndarray, node) -> ir.Buffer:
        key = id(array)
        if key not in self.const_buffers:
            dtype = numpy_dtype_to_allo(array.dtype)
            if dtype is None or array.ndim == 0:
                raise self.type_error(
                    f"global array {name!r} of dtype {array.dtype} cannot be a kernel constant",
                    node, hint="use an integer, bool or float numpy array")
            raw = np.empty(array.shape, dtype=object)
            for idx, v in np.ndenumerate(array):
                raw[idx] = dtype.from_python(v.item())
            typ = T.ArrayType(dtype, array.shape)
            self.const_buffers[key] = self.new_buffer(name, typ, node, kind="const", init=raw)
            self.locals.append(self.const_buffers[key])
        return self.const_buffers[key]

    def eval_static(self, node, what="a template argument"):
        """The Python value of an expression over the kernel's names (template arguments,
        ConstExpr values, meta conditions), computed when the kernel is parsed."""
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in self.symbols:
                raise self.error(f"{n.id!r} is a kernel variable; {what} is computed when the "
                                 "kernel is parsed", n, hint="use a ConstExpr, a meta_for index "
                                 "or a global instead")
        try:
            return eval(compile(ast.Expression(node), self.src.file, "eval"), dict(self.env))
        except Exception as err:   # noqa: BLE001 - any failure is the user's expression
            raise self.error(f"cannot evaluate {ast.unparse(node)!r} at compile time: {err}",
                             node, hint=f"{what} must be computable from globals, template "
                                        "parameters, ConstExprs and meta_for indices, not "
                                        "from kernel variables") from None

    def eval_annotation(self, node):
        """Evaluate a type annotation (an expression or a string) in the kernel's namespace."""
        value = self.annotation_value(node)
        if isinstance(value, T.ConstExprAnnotation):
            raise self.type_error("ConstExpr[...] marks a local constant, not a parameter or "
                                  "result type", node, hint="n: ConstExpr[int32] = 4")
        from .structs import refuse_outside_locals
        refuse_outside_locals(self, value, node, "an argument or a result")
        return self.check_type(value, node)

    def annotation_value(self, node):
        """The Python value of an annotation (an expression or a string)."""
        expr = node
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                expr = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                raise self.type_error(f"annotation {node.value!r} is not an expression", node) from None
        try:
            value = eval(compile(ast.Expression(expr), self.src.file, "eval"), dict(self.env))
        except T.AlloTypeError as err:
            raise self.type_error(f"bad type annotation: {err.message}", node) from None
        except Exception as err:   # noqa: BLE001 - any failure is the user's annotation
            raise self.type_error(f"cannot evaluate annotation {ast.unparse(node)!r}: {err}", node,
                                  hint="annotate with Allo types, e.g. int32, Fixed(12, 4), int32[8, 8]") from None
        return value

    def check_type(self, value, node):
        """``value`` if it is a type a kernel can use; else an error at ``node``."""
        if isinstance(value, T.UnresolvedArray):
            bad = next(d for d in value.shape if not T.is_integer(d))
            if bad is Ellipsis:
                raise self.type_error(
                    f"{ast.unparse(node)!r}: arrays of a size known only at run time (Allo's "
                    "dynamic shapes) are not supported: every array is a memory of fixed size "
                    "in hardware and at the kernel's ports", node,
                    hint="give the size, e.g. float32[256], or make it a template parameter "
                         "(def kernel[N: int32](A: float32[N])) and instantiate=[256]")
            raise self.type_error(f"array dimension {bad!r} in {ast.unparse(node)!r} is not an "
                                  "integer", node, hint="dimensions are integers or template "
                                  "parameters given a value by instantiate=[...]")
        memory = getattr(value, "memory", None)
        if memory is not None:
            from ..memory import Layout, Memory
            if isinstance(memory, Layout):
                raise self.type_error(f"`@ {memory!r}` shards an array over a mesh of "
                                      "processing elements (Allo's AIE dataflow backend); "
                                      "allo-rtl has no PE mesh to place it on", node,
                                      hint="drop the Layout; give each stage its part with "
                                           "df.kernel(mapping=...) and df.get_pid()")
            if not isinstance(memory, Memory):
                raise self.type_error(f"`@ {memory!r}` is not supported on a type; allo-rtl "
                                      "takes `@ allo.memory.Memory(...)` only", node)
        if not isinstance(value, (T.AlloType, T.ArrayType)):
            raise self.type_error(f"annotation {ast.unparse(node)!r} is not an Allo type "
                                  f"(it is {type(value).__name__})", node,
                                  hint="use int32, UInt(n), Fixed(w, f), float32, index or T[dims]")
        return value
