"""One memory port shared by dataflow stages that run at the same time (``hls.arbitration``).

Each stage asks with ``<param>_req`` in a cycle it would access the array and gets
``<param>_gnt`` when no stage earlier in the region asks: a fixed priority, the same for
every array. A granted stage accesses in that cycle (the merged port takes the signals of
the stage asking and granted); the others' states wait. Read data comes
one cycle after the read; since another stage may read the memory meanwhile, each stage sees
its own copy: the memory's data in the cycle after its own read, a register holding it after
that (as an unshared memory port holds its data until the next read).
"""
from __future__ import annotations

from functools import reduce

from amaranth.hdl import Mux, Signal

SIGNALS = ("address0", "ce0", "we0", "d0")


def arbitrate(m, bp, users: list, name: str) -> list:
    """Wire stages ``users`` (list of (component, parameter name), in priority order) to the
    buffer ``bp`` (``memports.BufferPorts``); returns the comb statements serving the merged
    port (to be held while the stages run)."""
    merged = {s: Signal.like(getattr(users[0][0], f"{users[0][1]}_{s}"), name=f"{name}_arb_{s}")
              for s in SIGNALS}
    asked = []
    chosen = []
    for k, (comp, param) in enumerate(users):
        port = lambda s, c=comp, p=param: getattr(c, f"{p}_{s}")      # noqa: E731
        gnt = Signal(name=f"{name}_{k}_gnt")
        m.d.comb += gnt.eq(~reduce(lambda a, b: a | b, asked) if asked else 1)
        m.d.comb += port("gnt").eq(gnt)
        # the stage asking and granted: selected by req & gnt, plain expressions defined
        # from the first cycle (a stage's ce0 is driven inside its FSM's cases, which a
        # Verilog simulator may leave undefined until that stage first accesses)
        sel = Signal(name=f"{name}_{k}_sel")
        m.d.comb += sel.eq(port("req") & gnt)
        asked.append(port("req"))
        chosen.append((sel, {s: port(s) for s in SIGNALS}))
        fresh = Signal(name=f"{name}_{k}_fresh")
        hold = Signal.like(bp.q, name=f"{name}_{k}_hold")
        m.d.sync += [fresh.eq(sel & port("ce0") & ~port("we0")),
                     hold.eq(Mux(fresh, bp.q, hold))]
        m.d.comb += port("q0").eq(Mux(fresh, bp.q, hold))
    for s in SIGNALS:
        value = 0
        for sel, sigs in reversed(chosen):
            value = Mux(sel, sigs[s], value)
        m.d.comb += merged[s].eq(value if s != "ce0" else
                                 reduce(lambda a, b: a | b,
                                        [sel & sigs["ce0"] for sel, sigs in chosen]))
    return bp.serve(merged)
