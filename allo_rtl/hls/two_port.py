"""two-port arguments: which of the top kernel's array arguments get a read and a write port.

An array argument normally reaches its memory through one shared read/write port (ap_memory,
``X_address0/_ce0/_we0/_d0/_q0``), so a loop reading and writing it (``C[i, j] += ...``)
needs two cycles per iteration. ``C: int32[N, N] @ Memory(storage_type="RAM_2P")`` asks, as
Vivado's RAM_2P does, for a read port (``C_address0/_ce0/_q0``) and a write port
(``C_address1/_ce1/_we1/_d1``), which a simple dual-port block RAM has: the scheduler then
counts the argument's reads and writes as it does an on-chip memory's, one of each per cycle,
and the harness (simulators, boards) provides the two ports.

Honoured on the top function's arguments (its banks too, when it is partitioned): a called
kernel's array parameter is served by its caller's buffer, whose ports the callee's schedule
cannot assume, so a request there is recorded and warned about (``MemoryWarning``), and that
parameter keeps one shared port.
"""
from __future__ import annotations

from ..ir import nodes as ir
from ..memory import warn_not_honoured

TWO_PORT_STORAGE = ("RAM_2P", "RAM_S2P")      # one read port + one write port


def asks_two_ports(buf) -> bool:
    memory = getattr(buf, "memory", None)
    return memory is not None and memory.storage_type in TWO_PORT_STORAGE


def _array_args(f: ir.Function) -> list:
    return [b for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)]


def two_port_arguments(module: ir.Module) -> dict:
    """function name -> ids of its array arguments built with a read and a write port (only
    the top has any); warns for the requests on other functions' parameters."""
    out = {}
    for name, f in module.functions.items():
        if name != module.top:
            _warn_true_dual_port_args(name, f)
        asked = [b for b in _array_args(f) if asks_two_ports(b)]
        if name == module.top:
            out[name] = frozenset(id(b) for b in asked)
            continue
        warned = set()
        for b in asked:
            array = b.bank_of or b.name
            if array not in warned:
                warned.add(array)
                warn_not_honoured(f"{name}:{array}", b.memory,
                                  "one shared read/write port (a called kernel's parameter "
                                  "is served by its caller's memory; two ports are built "
                                  "for the top function's arguments)", b.loc)
        out[name] = frozenset()
    return out


def _warn_true_dual_port_args(name: str, f: ir.Function):
    """RAM_T2P (two read/write ports) on a called kernel's parameter: its caller's memory
    serves it through one port, so the request is warned about, once per array."""
    warned = set()
    for b in _array_args(f):
        memory = getattr(b, "memory", None)
        array = b.bank_of or b.name
        if memory is None or memory.storage_type != "RAM_T2P" or array in warned:
            continue
        warned.add(array)
        warn_not_honoured(f"{name}:{array}", memory,
                          "one shared read/write port (a called kernel's parameter is "
                          "served by its caller's memory; two port sets are built for the "
                          "top function's arguments)", b.loc)
