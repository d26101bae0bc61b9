"""``allo.memory.Memory``: how an array would like to be implemented
(``A: int32[32] @ Memory(resource="URAM")``), with Allo's resource and storage names.

allo-rtl records the request on the array (``Buffer.memory``) and reports it; the hardware
build does not yet map arrays by it (it chooses memories by its own rules), and says so with
a ``MemoryWarning`` when a kernel uses it. Allo's ``Layout``/``DTensor`` belong to dataflow
and are not here.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

RESOURCES = ("AUTO", "BRAM", "URAM", "LUTRAM", "SRL", "SPRAM")   # SPRAM: iCE40 UltraPlus
STORAGE_TYPES = ("RAM_1P", "RAM_2P", "RAM_T2P", "RAM_1WNR", "RAM_S2P", "ROM_1P", "ROM_2P",
                 "ROM_NP")


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

    def __repr__(self):
        parts = [f'resource="{self.resource}"']
        if self.storage_type:
            parts.append(f'storage_type="{self.storage_type}"')
        parts += [f"{k}={getattr(self, k)}" for k in ("latency", "depth") if getattr(self, k)]
        return f"Memory({', '.join(parts)})"


def warn_unmapped(array: str, memory: Memory, loc):
    """Warn, at the kernel line ``loc``, that the request is recorded only."""
    warnings.warn_explicit(f"{memory!r} on {array} is recorded (s.memory_requests()), but the "
                           "hardware build does not map arrays by it yet: it picks block RAM "
                           "or registers by its own rules", MemoryWarning, loc.file, loc.line)
