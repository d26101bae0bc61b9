"""Getting a kernel's source, its AST and the names it can see, with exact source locations."""
from __future__ import annotations

import ast
import inspect
import textwrap

from ..errors import AlloSyntaxError
from ..ir.nodes import Loc
from .scope import kernel_namespace


class KernelSource:
    """The parsed ``def`` of a kernel plus what is needed to map AST positions to the file."""

    @staticmethod
    def check_function(fn):
        if not inspect.isfunction(fn):
            raise AlloSyntaxError(
                f"allo.customize expects a Python function, not {type(fn).__name__}",
                hint="pass the kernel function itself: allo.customize(gemm)")

    def __init__(self, fn):
        self.check_function(fn)
        self.fn = fn
        try:
            lines, first = inspect.getsourcelines(fn)
            self.file = inspect.getsourcefile(fn) or "<unknown>"
        except (OSError, TypeError) as err:
            raise AlloSyntaxError(
                f"cannot read the source of {fn.__name__}: {err}",
                hint="define kernels in a .py file (not in an interactive prompt or exec string)"
            ) from None
        raw = "".join(lines)
        dedented = textwrap.dedent(raw)
        self.col_offset = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
        self.line_offset = first - 1
        try:
            tree = ast.parse(dedented)
        except SyntaxError as err:    # e.g. Python 3.12 `def k[T]` templates on 3.11
            loc = Loc(self.file, self.line_offset + (err.lineno or 1), (err.offset or 1) - 1)
            raise AlloSyntaxError(
                f"cannot parse kernel {fn.__name__}: {err.msg}", loc,
                hint="`def kernel[T, M]` needs Python 3.12; on 3.11 use @allo.template('T', 'M') "
                     "and allo.customize(kernel, instantiate=[...]) (see docs/templates.md)"
            ) from None
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        if not defs:
            raise AlloSyntaxError(f"{fn.__name__} is not a plain `def` function",
                                  Loc(self.file, first, 0),
                                  hint="lambdas and async functions cannot be kernels")
        self.tree: ast.FunctionDef = defs[0]

    def loc(self, node) -> Loc:
        return Loc(self.file, self.line_offset + getattr(node, "lineno", 1),
                   getattr(node, "col_offset", 0) + self.col_offset)

    def namespace(self, frames=None) -> dict:
        """The names the kernel can refer to (see scope.py for the precedence)."""
        return kernel_namespace(self.fn, frames)


class NestedSource(KernelSource):
    """The source of a ``def`` written inside a kernel: same file and offsets as the
    enclosing kernel; it sees the enclosing kernel's names (not its variables)."""

    def __init__(self, parent: KernelSource, tree, env: dict):
        self.fn, self.file, self.tree, self._env = None, parent.file, tree, env
        self.col_offset, self.line_offset = parent.col_offset, parent.line_offset

    def namespace(self, frames=None) -> dict:
        return dict(self._env)


class NestedKernel:
    """What the name of a nested ``def`` stands for while the enclosing kernel is built."""

    def __init__(self, ctx, tree):
        self.__name__ = tree.name
        self.source = NestedSource(ctx.src, tree, dict(ctx.env))

    def __repr__(self):
        return f"<nested kernel {self.__name__}>"
