"""single-port: which on-chip memories are built with one shared read/write port, as iCE40
UltraPlus SPRAM (``A: int32[N] @ Memory(resource="SPRAM")``).

An SPRAM block (``SB_SPRAM256KA``, 16 bits x 16 384 words, four on the UP5K of the iCEBreaker)
has one address for reads and writes, reads nothing while it writes and powers up with
undefined contents. So an array asking for it is built as ``primitives.spram.SinglePortRAM``
and scheduled through one ``rw`` port class (``resources.port_of``: never a read and a write
in one cycle), and only when that is right:

* the array is local to a kernel, or an argument of the top kernel: the kernel reaches
  those through one port anyway, and the harness (simulators, the board's host link) holds
  them in a single-port memory too (a called kernel's argument is its caller's memory);
* it has no initial contents (not a ROM, no constant initializer): every read of an SPRAM
  must follow a write of its word (a ``= 0`` initializer is a loop of stores, which is fine);
* the family has SPRAM: ``generic`` (simulation: the same single-port memory) and iCE40
  UltraPlus; ECP5 and the iCE40 HX8K do not.

Otherwise the request falls back to the family's other memories with a ``MemoryWarning`` that
says why (``memory_plan``). Refuses (``AlloError`` at the array's line) a request that also
asks for two ports (``storage_type`` RAM_2P/RAM_T2P/...), and SPRAM arrays needing more
blocks, together, than the part has. Assumes the module after banking and scalarization
(banks carry their array's request); changes nothing in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import AlloError
from ..ir import nodes as ir
from ..memory import Placement
from ..primitives.spram import spram_blocks

ONE_PORT_STORAGE = (None, "RAM_1P")
# SB_SPRAM256KA blocks per part when the build does not name a board: the simulation models
# the iCE40 UP5K (iCEBreaker); ECP5 has none
DEFAULT_BLOCKS = {"generic": 4, "ice40": 4, "ecp5": 0}


def asks_spram(buf) -> bool:
    memory = getattr(buf, "memory", None)
    return memory is not None and memory.resource == "SPRAM"


@dataclass
class SinglePortPlan:
    ids: dict = field(default_factory=dict)         # function -> ids of its SPRAM memories
    blocks: dict = field(default_factory=dict)      # memory name -> SB_SPRAM256KA blocks
    placements: dict = field(default_factory=dict)  # (function, array) -> Placement
    available: int = 0                              # blocks the part has

    @property
    def used(self) -> int:
        return sum(self.blocks.values())


def _fallback(buf, family: str, available: int, top: bool) -> str | None:
    """Why ``buf``'s SPRAM request cannot be built as SPRAM (None: it can)."""
    if family == "ecp5":
        return "ecp5 has no SPRAM, iCE40 UltraPlus has"
    if available == 0:
        return "this iCE40 part has no SPRAM, the UltraPlus UP5K of the iCEBreaker has 4"
    if buf.kind in ("arg", "result") and not top:
        return ("a called kernel's argument is its caller's memory: SPRAM is built for "
                "arrays local to a kernel and for the top kernel's arguments")
    if buf.kind == "const" or buf.init is not None:
        return ("the array has initial contents, a ROM, which an SPRAM cannot hold: it "
                "powers up undefined")
    return None


def _refuse_two_ports(buf):
    storage = buf.memory.storage_type
    if storage not in ONE_PORT_STORAGE:
        raise AlloError(f"{buf.bank_of or buf.name}: Memory(resource='SPRAM', storage_type="
                        f"'{storage}') asks for an SPRAM with more than one port; an iCE40 "
                        "SPRAM block has one shared read/write port", buf.loc,
                        hint="drop storage_type (or use 'RAM_1P'), or use resource='BRAM'")


def plan_single_port(module: ir.Module, family: str, available: int | None = None):
    """The SPRAM memories of ``module`` on ``family`` with ``available`` blocks (None: the
    family's default part)."""
    available = DEFAULT_BLOCKS.get(family, 0) if available is None else available
    plan = SinglePortPlan(available=available)
    for name, f in module.functions.items():
        ids, per_array = set(), {}
        for b in f.symbols():
            if not isinstance(b, ir.Buffer) or not asks_spram(b):
                continue
            _refuse_two_ports(b)
            array = b.bank_of or b.name
            why = _fallback(b, family, available, name == module.top)
            if why is not None:
                plan.placements[(name, array)] = Placement(
                    None, f"an ordinary memory, Yosys's choice ({why})", False)
                continue
            width = max(b.dtype.hw_bits, 1)
            n = spram_blocks(width, b.type.size)
            if plan.used + n > available:
                raise AlloError(
                    f"{array}: Memory(resource='SPRAM') needs {n} SPRAM block(s) of 16 bits x "
                    f"16384 words ({b.type.size} words of {width} bits), {plan.used} "
                    f"are taken by earlier arrays, and the part has {available}", b.loc,
                    hint="use resource='BRAM' for this array, narrower words, or fewer words")
            ids.add(id(b))
            plan.blocks[f"{name}:{b.name}"] = n
            per_array[array] = per_array.get(array, 0) + n      # its banks together
            where = " (on iCE40 UltraPlus)" if family == "generic" else ""
            plan.placements[(name, array)] = Placement(
                None, f"SPRAM: one shared read/write port, {per_array[array]} "
                f"SB_SPRAM256KA block(s){where}", True)
        if ids:
            plan.ids[name] = frozenset(ids)
    return plan
