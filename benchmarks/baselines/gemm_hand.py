"""gemm N x N int32, written by hand as an HLS-free designer would: one FSM, a multiply-
accumulate register, A and B read in the same cycle (separate memories), C written once per
(i, j). Interface identical to allo-rtl's generated ``gemm`` (ports A, B, C; result C)."""
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class HandGemm(wiring.Component):
    def __init__(self, n: int):
        self.n = n
        aw = max(1, (n * n - 1).bit_length())
        members = {"start": In(1), "done": Out(1), "idle": Out(1)}
        for name in ("A", "B", "C"):
            members.update({f"{name}_address0": Out(aw), f"{name}_ce0": Out(1),
                            f"{name}_we0": Out(1), f"{name}_d0": Out(signed(32)),
                            f"{name}_q0": In(signed(32))})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        n = self.n
        i, j, k = Signal(range(n)), Signal(range(n)), Signal(range(n + 1))
        acc = Signal(signed(32))
        m.d.comb += [self.A_address0.eq(i * n + k), self.B_address0.eq(k * n + j),
                     self.C_address0.eq(i * n + j), self.C_d0.eq(acc)]
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.idle.eq(1)
                with m.If(self.start):
                    m.d.sync += [i.eq(0), j.eq(0), k.eq(0), acc.eq(0)]
                    m.next = "READ"
            with m.State("READ"):                 # issue reads of A[i,k], B[k,j]
                m.d.comb += [self.A_ce0.eq(1), self.B_ce0.eq(1)]
                m.next = "MAC"
            with m.State("MAC"):                  # data back: accumulate, next k
                m.d.sync += [acc.eq(acc + self.A_q0 * self.B_q0), k.eq(k + 1)]
                with m.If(k == n - 1):
                    m.next = "WRITE"
                with m.Else():
                    m.next = "READ"
            with m.State("WRITE"):
                m.d.comb += [self.C_ce0.eq(1), self.C_we0.eq(1)]
                m.d.sync += [acc.eq(0), k.eq(0), j.eq(j + 1)]
                with m.If(j == n - 1):
                    m.d.sync += [j.eq(0), i.eq(i + 1)]
                    with m.If(i == n - 1):
                        m.next = "DONE"
                    with m.Else():
                        m.next = "READ"
                with m.Else():
                    m.next = "READ"
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m
