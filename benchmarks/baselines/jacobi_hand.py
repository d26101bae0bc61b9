"""jacobi-1d (T steps, N points, int32, C division by 3), by hand: a 3-word sliding window in
registers, one read and one write per point, the same iterative divider allo-rtl uses.
Interface as allo-rtl's ``jacobi_1d`` (ports A, B, both written in place)."""
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from allo_rtl.primitives.divider import Divider


class HandJacobi(wiring.Component):
    def __init__(self, n: int, steps: int):
        self.n, self.steps = n, steps
        aw = max(1, (n - 1).bit_length())
        members = {"start": In(1), "done": Out(1), "idle": Out(1)}
        for name in ("A", "B"):
            members.update({f"{name}_address0": Out(aw), f"{name}_ce0": Out(1),
                            f"{name}_we0": Out(1), f"{name}_d0": Out(signed(32)),
                            f"{name}_q0": In(signed(32))})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        n = self.n
        m.submodules.div = div = Divider(35, True)
        t = Signal(range(2 * self.steps + 1))        # half-steps: A->B, then B->A
        i = Signal(range(n + 1))
        w0, w1, w2 = (Signal(signed(32), name=f"w{k}") for k in range(3))
        src_is_a = ~t[0]
        src_q = Signal(signed(32))
        with m.If(src_is_a):
            m.d.comb += src_q.eq(self.A_q0)
        with m.Else():
            m.d.comb += src_q.eq(self.B_q0)
        read = Signal()
        write = Signal()
        raddr, waddr = Signal(range(n)), Signal(range(n))
        with m.If(read):
            with m.If(src_is_a):
                m.d.comb += [self.A_address0.eq(raddr), self.A_ce0.eq(1)]
            with m.Else():
                m.d.comb += [self.B_address0.eq(raddr), self.B_ce0.eq(1)]
        with m.If(write):
            with m.If(src_is_a):
                m.d.comb += [self.B_address0.eq(waddr), self.B_ce0.eq(1), self.B_we0.eq(1),
                             self.B_d0.eq(div.quotient)]
            with m.Else():
                m.d.comb += [self.A_address0.eq(waddr), self.A_ce0.eq(1), self.A_we0.eq(1),
                             self.A_d0.eq(div.quotient)]
        m.d.comb += [div.dividend.eq(w0 + w1 + w2), div.divisor.eq(3)]
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.idle.eq(1)
                with m.If(self.start):
                    m.d.sync += t.eq(0)
                    m.next = "LOAD0"
            with m.State("LOAD0"):                 # window = src[0], src[1]
                m.d.comb += [read.eq(1), raddr.eq(0)]
                m.next = "LOAD1"
            with m.State("LOAD1"):
                m.d.comb += [read.eq(1), raddr.eq(1)]
                m.d.sync += w1.eq(src_q)
                m.next = "LOAD1_DATA"
            with m.State("LOAD1_DATA"):
                m.d.sync += [w2.eq(src_q), i.eq(1)]
                m.next = "READ"
            with m.State("READ"):                  # shift window, fetch src[i + 1]
                m.d.comb += [read.eq(1), raddr.eq(i + 1)]
                m.d.sync += [w0.eq(w1), w1.eq(w2)]
                m.next = "FETCHED"
            with m.State("FETCHED"):
                m.d.sync += w2.eq(src_q)
                m.next = "DIVIDE"
            with m.State("DIVIDE"):
                m.d.comb += div.start.eq(1)
                m.next = "WAIT"
            with m.State("WAIT"):
                with m.If(div.done):
                    m.d.comb += [write.eq(1), waddr.eq(i)]
                    m.d.sync += i.eq(i + 1)
                    with m.If(i == n - 2):
                        m.d.sync += t.eq(t + 1)
                        with m.If(t == 2 * self.steps - 1):
                            m.next = "DONE"
                        with m.Else():
                            m.next = "LOAD0"
                    with m.Else():
                        m.next = "READ"
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m
