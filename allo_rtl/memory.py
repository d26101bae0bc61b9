"""``allo.memory.Memory``: how an array would like to be implemented
(``A: int32[32] @ Memory(resource="URAM")``), with Allo's resource and storage names.

allo-rtl records the request on the array (``Buffer.memory``, ``s.memory_requests()``) and the
hardware build honours it where the target family has the resource: the array's memory gets
Yosys's ``ram_style`` attribute (``placement``: BRAM -> block RAM; LUTRAM/SRL -> distributed
RAM, or flip-flops on iCE40, which has none), for arrays local to a kernel and for the
kernel's array arguments (the harness memories holding them on a board). What cannot be
honoured (URAM on iCE40/ECP5, an array the build turned into registers) is built by
allo-rtl's own rules, with a ``MemoryWarning`` naming the array's line; ``mod.report()``
lists each request and what was built.

``resource="SPRAM"`` on an array local to a kernel, or on an argument of the top kernel, with
no initial contents is a single-port memory (``hls/single_port.py``): SB_SPRAM256KA blocks
on iCE40 UltraPlus (iCEBreaker), the same one-port memory in simulation. On ECP5 and the
iCE40 HX8K, for ROMs and for a called kernel's arguments it falls back with a
``MemoryWarning`` saying why.

``storage_type="RAM_2P"`` on an argument of the top kernel gives it a read and a write port
(``hls/two_port.py``); ``storage_type="RAM_T2P"`` on an array local to a kernel, or on an
argument of the top kernel, gives it two read/write ports (``hls/port_binding.py``; ECP5 and
simulation, refused on iCE40); other storage types, ``latency`` and ``depth`` are recorded
only (every other on-chip memory has one read and one write port, read latency 1).

``Layout`` (Allo's sharding of an array over a mesh of processing elements) and ``DTensor``
(one PE's view of such an array) are Allo's AIE dataflow descriptions: they are here as
values Allo programs build and inspect (``Layout.get_placement``, ``DTensor.get_local_shape``),
but a kernel annotation ``@ Layout(...)`` is refused, since allo-rtl has no PE mesh to place
the array on.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import product

RESOURCES = ("AUTO", "BRAM", "URAM", "LUTRAM", "SRL", "SPRAM")   # SPRAM: iCE40 UltraPlus
STORAGE_TYPES = ("RAM_1P", "RAM_2P", "RAM_T2P", "RAM_1WNR", "RAM_S2P", "ROM_1P", "ROM_2P",
                 "ROM_NP")
# Allo's number for a request (its MLIR memref memory space): resource code * 16 + storage
# code, storage codes 1.. in STORAGE_TYPES order; SPRAM is ours (Allo has no code for it)
_SPACE_OF_RESOURCE = {"AUTO": 0, "BRAM": 1, "URAM": 2, "LUTRAM": 3, "SRL": 4, "SPRAM": 5}


class MemoryWarning(UserWarning):
    """A ``Memory`` request is recorded but not (yet) honoured by the hardware build."""


@dataclass(frozen=True)
class Memory:
    """An implementation request for one array; names are case-insensitive."""

    resource: str = "AUTO"
    storage_type: str | None = None
    latency: int | None = None
    depth: int | None = None

    def __post_init__(self):
        resource = str(self.resource).upper()
        if resource not in RESOURCES:
            raise ValueError(f"Invalid resource {self.resource!r}: one of {', '.join(RESOURCES)}")
        object.__setattr__(self, "resource", resource)
        if self.storage_type is not None:
            storage = str(self.storage_type).upper()
            if storage not in STORAGE_TYPES:
                raise ValueError(f"Invalid storage_type {self.storage_type!r}: one of "
                                 f"{', '.join(STORAGE_TYPES)}")
            object.__setattr__(self, "storage_type", storage)
        for what in ("latency", "depth"):
            v = getattr(self, what)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{what} must be a positive integer, not {v!r}")

    def get_memory_space(self) -> int:
        """Allo's single-number encoding of the request: resource code * 16 + storage code
        (AUTO = 0, BRAM = 1, URAM = 2, LUTRAM = 3, SRL = 4; no storage type = 0)."""
        storage = 0 if self.storage_type is None else STORAGE_TYPES.index(self.storage_type) + 1
        return _SPACE_OF_RESOURCE[self.resource] * 16 + storage

    @staticmethod
    def decode_memory_space(memory_space: int) -> tuple:
        """``get_memory_space`` inverted: (resource, storage_type or None)."""
        resource, storage = divmod(int(memory_space), 16)
        names = {v: k for k, v in _SPACE_OF_RESOURCE.items()}
        if resource not in names or storage > len(STORAGE_TYPES):
            raise ValueError(f"{memory_space} is not a memory space Memory.get_memory_space "
                             "gives")
        return names[resource], STORAGE_TYPES[storage - 1] if storage else None

    def __repr__(self):
        parts = [f'resource="{self.resource}"']
        if self.storage_type:
            parts.append(f'storage_type="{self.storage_type}"')
        parts += [f"{k}={getattr(self, k)}" for k in ("latency", "depth") if getattr(self, k)]
        return f"Memory({', '.join(parts)})"


@dataclass(frozen=True)
class Placement:
    """What the build makes of one request: Yosys's ``ram_style`` (None: Yosys chooses) and
    a description for the report; ``honoured`` is False when the resource is not there."""

    ram_style: str | None
    built: str
    honoured: bool


def placement(memory: Memory, family: str) -> Placement:
    """The implementation of ``memory`` on ``family`` ("ice40", "ecp5", "generic")."""
    r = memory.resource
    if r == "AUTO":
        return Placement(None, "Yosys's choice", True)
    if r == "BRAM":
        return Placement("block", "block RAM", True)
    if r in ("LUTRAM", "SRL"):
        if family == "ice40":        # no LUT RAM: flip-flops are the distributed memory here
            return Placement("logic", "flip-flops (iCE40 has no LUT RAM)", True)
        return Placement("distributed", "distributed (LUT) RAM", True)
    if r == "URAM":
        return Placement("block", f"block RAM ({family} has no UltraRAM)", False)
    # SPRAM: hls/single_port.py decides per array (local, no initial contents, a part with
    # SPRAM); this is what an array it did not see gets
    return Placement(None, "Yosys's choice (SPRAM is built for arrays local to a kernel)", False)


def warn_not_honoured(array: str, memory: Memory, built: str, loc):
    """Warn, at the kernel line ``loc``, that the request for ``array`` was not honoured."""
    warnings.warn_explicit(f"{memory!r} on {array} is not honoured: the build makes {built}",
                           MemoryWarning, loc.file, loc.line)


class Layout:
    """Allo's placement of an array over a mesh of processing elements: one entry per array
    dimension, ``Layout.Shard(k)`` (split along mesh dimension ``k``) or ``Layout.Replicate``
    (every PE holds the whole dimension)."""

    @dataclass(frozen=True)
    class Shard:
        axis: int

    @dataclass(frozen=True)
    class Replicate:
        pass

    def __init__(self, partitions):
        partitions = list(partitions)
        for p in partitions:
            if not (isinstance(p, Layout.Shard) or p is Layout.Replicate
                    or isinstance(p, Layout.Replicate)):
                raise ValueError(f"a Layout entry is Layout.Shard(axis) or Layout.Replicate, "
                                 f"not {p!r}")
        self.partitions = partitions

    def get_placement(self, mesh_dims) -> dict:
        """Tensor tile id -> the PE coordinates holding it, for a mesh of ``mesh_dims``: a
        sharded dimension's tile is the PE's coordinate on that mesh axis, a replicated
        one's is 0 (every PE has it)."""
        placement: dict = {}
        for pe in product(*(range(d) for d in mesh_dims)):
            tile = tuple(pe[p.axis] if isinstance(p, Layout.Shard) else 0
                         for p in self.partitions)
            placement.setdefault(tile, []).append(pe)
        return placement

    def __eq__(self, other):
        return isinstance(other, Layout) and self.partitions == other.partitions

    def __hash__(self):
        return hash(tuple(map(repr, self.partitions)))

    def __repr__(self):
        parts = ", ".join(f"Layout.Shard({p.axis})" if isinstance(p, Layout.Shard)
                          else "Layout.Replicate" for p in self.partitions)
        return f"Layout([{parts}])"


class DTensor:
    """One array of Allo's dataflow as a PE sees it: its global ``shape`` and ``dtype``, the
    ``mapping`` (mesh dimensions) and ``spec``, a ``Layout`` (then ``layout``) or a
    ``Memory`` (then ``memory``)."""

    def __init__(self, rank, mapping, shape, dtype, spec, name=None, top_name=None):
        self.rank, self.mapping, self.shape, self.dtype = rank, mapping, tuple(shape), dtype
        self.name, self.top_name = name, top_name
        self.layout = spec if isinstance(spec, Layout) else None
        self.memory = spec if isinstance(spec, Memory) else None
        if spec is not None and self.layout is None and self.memory is None:
            raise ValueError(f"a DTensor's spec is a Layout, a Memory or None, not {spec!r}")
        self.global_placement = (self.layout.get_placement(mapping)
                                 if self.layout is not None and mapping is not None else None)

    def get_local_shape(self) -> tuple:
        """The shape of one PE's tile: a sharded dimension divided by its mesh extent."""
        if self.layout is None:
            return self.shape
        return tuple(n // self.mapping[p.axis] if isinstance(p, Layout.Shard) else n
                     for n, p in zip(self.shape, self.layout.partitions))

    def __str__(self):
        spec = f", layout={self.layout!r}" if self.layout is not None else ""
        spec += f", memory={self.memory!r}" if self.memory is not None else ""
        return (f"DTensor(name={self.name!r}, shape={self.shape}, dtype={self.dtype!r}, "
                f"mapping={self.mapping}{spec})")

    __repr__ = __str__
