"""The Schedule object ``allo.customize`` returns: the parsed kernel plus (later) its
hardware customizations, and ``build`` for every target."""
from __future__ import annotations

from ..errors import AlloError
from ..frontend import parse_module
from ..ir import nodes as ir
from ..ir.printer import format_module

PYTHON_TARGETS = ("python", "llvm")


class Schedule:
    def __init__(self, module: ir.Module):
        self.module = module
        self.primitives: list = []       # (name, args, location) in the order applied

    @property
    def top(self) -> ir.Function:
        return self.module.top_func

    def __str__(self):
        return format_module(self.module)

    def __getattr__(self, name):
        # s.A names the top function's buffer A (Allo's handle style), e.g. s.partition(s.A)
        if name.startswith("_") or name in ("module", "primitives"):
            raise AttributeError(name)
        for sym in self.module.top_func.symbols():
            if isinstance(sym, ir.Buffer) and sym.name == name:
                return sym
        raise AttributeError(f"kernel {self.module.top} has no array named {name!r}")

    def get_loops(self, fn: str | None = None) -> list:
        """The loop handles (names) of a function, outer before inner."""
        f = self.module.functions[fn] if fn else self.top
        return [loop.name for loop in ir.loops(f.body)]

    def build(self, target: str | None = None, **options):
        """Build for ``target``: "python"/"llvm" runs the reference interpreter."""
        if target in PYTHON_TARGETS:
            from ..sim.reference import ReferenceModule
            return ReferenceModule(self.module)
        raise AlloError(f"build target {target!r} is not available yet",
                        hint="use s.build(target='python') for the reference interpreter")


def customize(fn, instantiate=None, verbose: bool = False, **_ignored) -> Schedule:
    """Parse and type-check ``fn`` (and the kernels it calls) into a Schedule."""
    s = Schedule(parse_module(fn, instantiate))
    if verbose:
        print(s)
    return s
