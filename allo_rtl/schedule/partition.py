"""``partition``: Allo's array partitioning, recorded on the buffer and checked here; the banks
themselves are made when hardware is built (``hls/banking.py``), so partitions compose with the
loop primitives in any order."""
from __future__ import annotations

from ..errors import AlloScheduleError
from ..ir import nodes as ir


class Partition:
    """Allo's partition kinds (same values as ``allo.customize.Partition``)."""

    Complete = 0
    Block = 1
    Cyclic = 2


KIND_NAMES = {Partition.Complete: "complete", Partition.Block: "block",
              Partition.Cyclic: "cyclic"}


def find_buffer(module: ir.Module, target) -> tuple:
    """(function, buffer) for ``s.A`` (an ir.Buffer) or ``"kernel:A"`` / ``"A"`` (the top)."""
    if isinstance(target, ir.Buffer):
        for f in module.functions.values():
            if any(sym is target for sym in f.symbols()):
                return f, target
        raise AlloScheduleError(f"array {target.name!r} does not belong to this schedule",
                                hint="pass s.<name> of this schedule, or 'kernel:name'")
    if not isinstance(target, str):
        raise AlloScheduleError(f"partition target must be an array handle (s.A) or a "
                                f"'kernel:array' string, got {type(target).__name__}")
    fn, _, name = target.rpartition(":")
    f = module.functions.get(fn or module.top)
    if f is None:
        raise AlloScheduleError(f"no kernel named {fn!r}",
                                hint=f"kernels: {', '.join(module.functions)}")
    for sym in f.symbols():
        if isinstance(sym, ir.Buffer) and sym.name == name:
            return f, sym
    arrays = ", ".join(s.name for s in f.symbols() if isinstance(s, ir.Buffer)) or "none"
    raise AlloScheduleError(f"{f.name} has no array named {name!r}",
                            hint=f"arrays of {f.name}: {arrays}")


def partition(module: ir.Module, target, partition_type=Partition.Complete, dim: int = 0,
              factor: int = 0) -> ir.Buffer:
    """Record the partition of ``target`` along ``dim`` (1-based; 0 = every dimension)."""
    f, buf = find_buffer(module, target)
    what = f"partition({buf.name}, dim={dim})"
    kind = KIND_NAMES.get(partition_type) if type(partition_type) is int else None
    if kind is None:
        raise AlloScheduleError(f"{what}: unknown partition type {partition_type!r}",
                                hint="use allo.Partition.Complete, .Block or .Cyclic")
    shape = buf.view_shape or buf.shape           # dims of a reshaped array's new shape
    rank = len(shape)
    if not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim <= rank:
        raise AlloScheduleError(f"{what}: {buf.name} has {rank} dimension(s); dim must be 1.."
                                f"{rank}, or 0 for all of them")
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 0:
        raise AlloScheduleError(f"{what}: factor must be an integer >= 0, got {factor!r}")
    dims = list(range(rank)) if dim == 0 else [dim - 1]
    for d in dims:
        extent = shape[d]
        if kind != "complete" and not 1 <= factor <= extent:
            raise AlloScheduleError(
                f"{what}: a {kind} partition needs 1 <= factor <= {extent} (the extent of "
                f"dimension {d + 1} of {buf.name}), got {factor}",
                hint="factor is the number of banks; Partition.Complete needs none")
        if d in buf.partition:
            old_kind, old_factor = buf.partition[d]
            raise AlloScheduleError(f"{what}: dimension {d + 1} of {buf.name} is already "
                                    f"partitioned ({old_kind}, factor {old_factor})",
                                    hint="partition each dimension once")
    for d in dims:
        buf.partition[d] = (kind, shape[d] if kind == "complete" else factor)
    return buf
