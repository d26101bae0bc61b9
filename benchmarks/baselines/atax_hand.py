"""atax (y = A^T (A x)), N x N int32, by hand: tmp kept in a register file of N words, two
passes over A per row, one multiply-accumulate unit. Interface as allo-rtl's ``atax``
(ports A, x; result y)."""
from amaranth.hdl import Array, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class HandAtax(wiring.Component):
    def __init__(self, n: int, result: str = "y"):
        self.n, self.result = n, result
        aw = max(1, (n * n - 1).bit_length())
        vw = max(1, (n - 1).bit_length())
        members = {"start": In(1), "done": Out(1), "idle": Out(1)}
        for name, width in (("A", aw), ("x", vw), (result, vw)):
            members.update({f"{name}_address0": Out(width), f"{name}_ce0": Out(1),
                            f"{name}_we0": Out(1), f"{name}_d0": Out(signed(32)),
                            f"{name}_q0": In(signed(32))})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        n, y = self.n, self.result
        port = lambda s: getattr(self, f"{y}_{s}")   # noqa: E731
        i, j = Signal(range(n)), Signal(range(n))
        acc = Signal(signed(32))
        ys = Array(Signal(signed(32), name=f"y{k}") for k in range(n))
        m.d.comb += [self.A_address0.eq(i * n + j), self.x_address0.eq(j),
                     port("address0").eq(j), port("d0").eq(ys[j])]
        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.idle.eq(1)
                with m.If(self.start):
                    m.d.sync += [i.eq(0), j.eq(0), acc.eq(0)] + [v.eq(0) for v in ys]
                    m.next = "READ1"
            with m.State("READ1"):                # tmp_i = sum_j A[i,j] x[j]
                m.d.comb += [self.A_ce0.eq(1), self.x_ce0.eq(1)]
                m.next = "MAC1"
            with m.State("MAC1"):
                m.d.sync += [acc.eq(acc + self.A_q0 * self.x_q0), j.eq(j + 1)]
                with m.If(j == n - 1):
                    m.d.sync += j.eq(0)
                    m.next = "READ2"
                with m.Else():
                    m.next = "READ1"
            with m.State("READ2"):                # y_j += A[i,j] tmp_i
                m.d.comb += self.A_ce0.eq(1)
                m.next = "MAC2"
            with m.State("MAC2"):
                m.d.sync += [ys[j].eq(ys[j] + self.A_q0 * acc), j.eq(j + 1)]
                with m.If(j == n - 1):
                    m.d.sync += [j.eq(0), acc.eq(0), i.eq(i + 1)]
                    m.next = "WRITE"
                    with m.If(i != n - 1):
                        m.next = "READ1"
                with m.Else():
                    m.next = "READ2"
            with m.State("WRITE"):                # y to its port, one word per cycle
                m.d.comb += [port("ce0").eq(1), port("we0").eq(1)]
                m.d.sync += j.eq(j + 1)
                with m.If(j == n - 1):
                    m.next = "DONE"
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
                m.next = "IDLE"
        return m
