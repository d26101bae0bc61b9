"""One access point per buffer: external ap_memory ports (one shared port, or a read and a
write port for a two-port argument) or an on-chip Memory (a read and a write port, two
read/write ports for RAM_T2P: ``hls/port_binding.py`` says which access uses which, or one
shared read/write port for SPRAM: ``primitives.spram.SinglePortRAM``).

Accesses are Amaranth statements the FSM places inside the state that performs them; the
defaults (no access) are set once. Read data is valid ``READ_LATENCY`` cycles after the read.
"""
from __future__ import annotations

from amaranth.hdl import Signal
from amaranth.lib.memory import Memory

from ..ir import nodes as ir
from ..ir import semantics
from ..ir.types import UInt
from ..primitives.spram import SinglePortRAM
from .interface import hw_shape


def _word(typ, raw) -> int:
    """The memory word of a raw value: a float's IEEE bit pattern (its raw value is a numpy
    float, whose int() would be the number, not its bits), an integer's two's complement."""
    if typ.is_float:
        return int(semantics.bitcast(raw, typ, UInt(typ.bits)))
    return int(raw)


class BufferPorts:
    """Reads, writes and callee hook-ups for one buffer of a kernel."""

    def __init__(self, m, buf: ir.Buffer, component=None, ram_style: str | None = None,
                 two_port: bool = False, dual_port: bool = False, single_port: bool = False,
                 spram_cells: bool = False):
        self.buf = buf
        self.external = component is not None
        self.two_port = two_port
        self.dual = dual_port
        self.single = single_port and not self.external
        shape = hw_shape(buf.dtype)
        if self.external:
            port = lambda s: getattr(component, f"{buf.name}_{s}")   # noqa: E731
            self.addr, self.ce, self.q = port("address0"), port("ce0"), port("q0")
            m.d.comb += self.ce.eq(0)
            if dual_port:       # two read/write port sets (RAM_T2P): k = op.port
                self.sets = [{s: port(f"{s}{k}") for s in ("address", "ce", "we", "d", "q")}
                             for k in range(2)]
                m.d.comb += [ps[s].eq(0) for ps in self.sets for s in ("ce", "we")]
                self.waddr, self.wce, self.we, self.d = self.addr, self.ce, port("we0"), port("d0")
            elif two_port:        # reads on port 0, writes on port 1 (write-only)
                self.waddr, self.wce, self.we = port("address1"), port("ce1"), port("we1")
                self.d = port("d1")
                m.d.comb += [self.wce.eq(0), self.we.eq(0)]
            else:
                self.waddr, self.wce, self.we, self.d = self.addr, self.ce, port("we0"), port("d0")
                m.d.comb += self.we.eq(0)
            return
        depth = buf.type.size
        if self.single:
            # SPRAM: the scheduler puts at most one access in a cycle (its ``rw`` port class),
            # so the FSM's states drive the one address directly; ``spram_cells``: as
            # SB_SPRAM256KA instances (a board build), else a behavioural memory
            self.sp = SinglePortRAM(shape, depth, cells=spram_cells)
            m.submodules[f"mem_{buf.name}"] = self.sp
            self.q = self.sp.rdata
            m.d.comb += [self.sp.en.eq(0), self.sp.we.eq(0)]
            return
        init = [] if buf.init is None else [_word(buf.dtype, v) for v in buf.init.reshape(-1)]
        # ram_style: Yosys's choice of block RAM / LUT RAM / flip-flops (a Memory request)
        mem = Memory(shape=shape, depth=depth, init=init,
                     attrs={"ram_style": ram_style} if ram_style else None)
        m.submodules[f"mem_{buf.name}"] = mem
        self.rd = mem.read_port(transparent_for=())
        self.q = self.rd.data
        self.wr = mem.write_port() if buf.kind != "const" else None
        m.d.comb += self.rd.en.eq(0)
        if self.dual:
            # two read/write ports (RAM_T2P): port k's read and write share one address, as
            # a true-dual-port block RAM's port does; no write-through (a read in the cycle
            # of a write to its word gives the old word: the schedule never relies on more)
            self.rd1 = mem.read_port(transparent_for=())
            self.wr1 = mem.write_port()
            m.d.comb += self.rd1.en.eq(0)
            self.port_addr = [Signal(self.addr_width, name=f"{buf.name}_addr{k}")
                              for k in range(2)]
            m.d.comb += [self.rd.addr.eq(self.port_addr[0]), self.wr.addr.eq(self.port_addr[0]),
                         self.rd1.addr.eq(self.port_addr[1]),
                         self.wr1.addr.eq(self.port_addr[1])]

    @property
    def addr_width(self) -> int:
        return max(1, (self.buf.type.size - 1).bit_length())

    def read(self, addr, port=None) -> list:
        """``port``: the access's port of a two-read/write-port memory (``op.port``)."""
        if self.external and self.dual:
            ps = self.sets[port or 0]
            return [ps["address"].eq(addr), ps["ce"].eq(1)]
        if self.external:
            return [self.addr.eq(addr), self.ce.eq(1)]
        if self.single:
            return [self.sp.addr.eq(addr), self.sp.en.eq(1)]
        if self.dual:
            rd = self.rd1 if port else self.rd
            return [self.port_addr[port or 0].eq(addr), rd.en.eq(1)]
        return [self.rd.addr.eq(addr), self.rd.en.eq(1)]

    def data(self, port=None):
        """The read data of ``port`` (valid ``READ_LATENCY`` cycles after the read)."""
        if self.external and self.dual:
            return self.sets[port or 0]["q"]
        return self.rd1.data if self.dual and port else self.q

    def write(self, addr, data, port=None) -> list:
        if self.external and self.dual:
            ps = self.sets[port or 0]
            return [ps["address"].eq(addr), ps["ce"].eq(1), ps["we"].eq(1), ps["d"].eq(data)]
        if self.external:
            return [self.waddr.eq(addr), self.wce.eq(1), self.we.eq(1), self.d.eq(data)]
        if self.single:
            return [self.sp.addr.eq(addr), self.sp.we.eq(1), self.sp.wdata.eq(data)]
        if self.dual:
            wr = self.wr1 if port else self.wr
            return [self.port_addr[port or 0].eq(addr), wr.en.eq(1), wr.data.eq(data)]
        return [self.wr.addr.eq(addr), self.wr.en.eq(1), self.wr.data.eq(data)]

    def serve(self, port) -> list:
        """Statements letting a callee's ap_memory port (dict of signals) use this buffer."""
        if self.external and self.two_port:    # the callee's one port: reads 0, writes 1
            reading, writing = port["ce0"] & ~port["we0"], port["ce0"] & port["we0"]
            return [self.addr.eq(port["address0"]), self.ce.eq(reading),
                    self.waddr.eq(port["address0"]), self.wce.eq(writing),
                    self.we.eq(writing), self.d.eq(port["d0"])]
        if self.external:
            return [self.addr.eq(port["address0"]), self.ce.eq(port["ce0"]),
                    self.we.eq(port["we0"]), self.d.eq(port["d0"])]
        if self.single:         # the callee's one port is the memory's
            return [self.sp.addr.eq(port["address0"]),
                    self.sp.en.eq(port["ce0"] & ~port["we0"]),
                    self.sp.we.eq(port["ce0"] & port["we0"]), self.sp.wdata.eq(port["d0"])]
        if self.dual:           # the callee's one port: port 0
            return [self.port_addr[0].eq(port["address0"]),
                    self.rd.en.eq(port["ce0"] & ~port["we0"]),
                    self.wr.en.eq(port["ce0"] & port["we0"]), self.wr.data.eq(port["d0"])]
        stmts = [self.rd.addr.eq(port["address0"]), self.rd.en.eq(port["ce0"] & ~port["we0"])]
        if self.wr is not None:
            stmts += [self.wr.addr.eq(port["address0"]), self.wr.en.eq(port["ce0"] & port["we0"]),
                      self.wr.data.eq(port["d0"])]
        return stmts

