"""The stall watchdog's report: what a simulator says when a dataflow region stops moving.

The harness (``sim.harness``) raises ``watchdog`` after ``rtl.streams.watchdog_limit``
cycles in a row in which some stage waits on a stream and no stage makes progress, keeping
the kernel's ``stream_wait`` bits of that moment. Every simulator (Amaranth's, cocotb on
Icarus and Verilator) stops there and raises ``HardwareDeadlockError``: the interpreter's
deadlock error (``sim.kpn.DeadlockError``), worded the same way, one line per waiting stage
naming the stream and whether it is full or empty -- a FIFO too shallow for the order of
puts and gets, or a true deadlock -- instead of running into the cycle limit.
"""
from __future__ import annotations

from .kpn import DeadlockError


class HardwareDeadlockError(DeadlockError):
    """The stall watchdog of a hardware simulation fired."""


def deadlock_error(table: list, bits: int, cycles: int, simulator: str, top: str,
                   limit: int) -> HardwareDeadlockError:
    """The error for watchdog bits ``bits`` (``table``: ``rtl.streams.WaitBit`` per bit)."""
    waiting = [b for k, b in enumerate(table) if bits >> k & 1]
    lines = [b.format(top) for b in waiting]
    first = waiting[0].loc if waiting else None
    return HardwareDeadlockError(
        "deadlock in the dataflow region: every running stage waits on a stream\n"
        + "\n".join(lines)
        + f"\n  ({simulator}: no stage moved for {limit} cycles, up to cycle {cycles})",
        first,
        hint="count the puts and gets of each stream (each get needs a put), and deepen "
             "a stream whose producer runs ahead of its consumer by more than its depth")
