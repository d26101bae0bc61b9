"""Resource classes the schedulers, the checker and the report count.

Every operation whose table entry names a ``resource`` uses one instance of a class per start:
a memory access uses a port class of its buffer (external arrays: one shared read/write port;
on-chip memories: a read port and a write port, or two read/write ports for RAM_T2P), a
multiplication a multiplier of its operand shape, a division a divider of its width, a float
add/subtract or multiply a float unit of its format. A class has a capacity (operations that
may start in one cycle, or in one modulo slot) or none (the binder makes as many units as the
schedule needs). A float unit class has the capacity ``s.allocation`` gave it
(``Op.unit_limit``), else none. An iterative unit stays busy for ``unit_ii`` cycles per
operation; a pipelined one takes a new operation every cycle, so one unit serves II operations
of a pipelined iteration.

This is the one place that says which port an access uses; the list scheduler, the SDC and
modulo schedulers, the checker and the report all ask it.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ..schedule.allocation import UNIT_CLASSES

FLOAT_UNIT_KINDS = tuple(UNIT_CLASSES)      # ``s.allocation``'s classes: fadd, fmul, ...
PORT_KINDS = {"rw": "1 shared read/write port", "r": "1 read port", "w": "1 write port",
              "p0": "read/write port 0 of 2", "p1": "read/write port 1 of 2"}


@dataclass(frozen=True)
class ResourceClass:
    kind: str             # "port", "stream", "mul", "div", "fadd", "fmul", ...
    key: tuple            # port: (id(buffer), "rw" | "r" | "w"); units: their shape
    capacity: int | None  # starts per cycle; None: as many units as needed

    @property
    def port(self) -> str | None:
        return self.key[1] if self.kind == "port" else None

    @property
    def is_float_unit(self) -> bool:
        """A pipelined float unit class (its key: the format's bits and mantissa bits)."""
        return self.kind in FLOAT_UNIT_KINDS


def port_of(op, external_ids) -> str:
    """The port class an access uses (a true-dual-port memory's: the one ``port_binding``
    gave it)."""
    if op.port is not None:
        return f"p{op.port}"
    if id(op.buf) in external_ids:
        return "rw"
    return "r" if op.info.is_load else "w"


def resource_of(op, external_ids) -> ResourceClass | None:
    """The resource class ``op`` occupies when it starts (None: it needs none)."""
    kind = op.info.resource
    if kind is None:
        return None
    if kind == "port":
        return ResourceClass("port", (id(op.buf), port_of(op, external_ids)), 1)
    if kind == "stream":                # one transfer per stream and cycle
        return ResourceClass("stream", (id(op.chan),), 1)
    if op.info.pipelined and kind in FLOAT_UNIT_KINDS:     # a float unit: one per format
        return ResourceClass(kind, (op.type.bits, op.type.fracs), op.unit_limit)
    shape = tuple((o.type.hw_bits, o.type.signed) for o in op.operands)
    return ResourceClass(kind, shape, None)


def groups(ops, external_ids) -> dict:
    """ResourceClass -> the ops using it, in program order."""
    out = defaultdict(list)
    for op in ops:
        rc = resource_of(op, external_ids)
        if rc is not None:
            out[rc].append(op)
    return out


def res_mii(by_class: dict, timing) -> tuple:
    """(ResMII, the class that sets it or None): the fewest cycles between iteration starts
    that every limited resource allows, uses x busy cycles / capacity."""
    best, worst = 1, None
    for rc, ops in by_class.items():
        if rc.capacity is None:
            continue
        need = math.ceil(sum(timing.unit_ii(op) for op in ops) / rc.capacity)
        if need > best:
            best, worst = need, rc
    return best, worst
