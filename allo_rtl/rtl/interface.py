"""The generated top level's interface, described as data.

Every kernel component has:

* ``start`` (in): sampled on a rising clock edge while the kernel is idle; the kernel samples
  its scalar inputs on that same edge.
* ``done`` (out): high for exactly one cycle when results are valid; ``idle`` (out) is high
  whenever the kernel is not running (also while ``start`` would be accepted).
* per array parameter or result ``X`` (ap_memory style, one port set):
  ``X_address0`` (out, row-major element index), ``X_ce0`` (out, access enable),
  ``X_we0`` (out, write enable, with ce0), ``X_d0`` (out, write data), ``X_q0`` (in, read data).
  Read latency is ``READ_LATENCY`` = 1 cycle: ``X_q0`` holds ``X[address0]`` in the cycle after
  ``ce0 & ~we0``. At most one access per array per cycle.
  A two-port argument (``@ Memory(storage_type="RAM_2P")`` on the top, ``hls/two_port.py``)
  has instead a read port ``X_address0/_ce0/_q0`` and a write port ``X_address1/_ce1/_we1/
  _d1``: one read and one write per cycle (a read of the word written in that cycle gives the
  old word, as the on-chip memories do). A true-dual-port argument (``RAM_T2P``,
  ``hls/port_binding.py``) has two full port sets, ``X_address0/_ce0/_we0/_d0/_q0`` and
  ``X_address1/_ce1/_we1/_d1/_q1``: two accesses per cycle, each a read or a write (never two
  writes of one word in a cycle; a read of a word written in that cycle gives the old word).
* per scalar parameter ``x``: input port ``x``; per scalar result k: output port ``ret{k}`` (or
  the result variable's name), valid from ``done`` until the next start.

Data travel as raw two's-complement bit patterns of the Allo type (fixed point: the mantissa).
This module only describes; ``rtl.lower`` builds the ports from it and the simulation harnesses
(Amaranth sim, cocotb) play the memories from it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from amaranth.hdl import signed, unsigned

from ..ir import nodes as ir
from ..ir.analysis import read_buffers, written_buffers
from ..ir.types import AlloType

READ_LATENCY = 1

# The port names a kernel component may have besides its parameters' (rtl.lower.signature_of
# adds them; rtl.port_names keeps parameters from taking them).
CONTROL_PORTS = ("start", "done", "idle")
WATCHDOG_PORTS = ("stream_wait", "stream_progress")
TEST_PORTS = ("stall",)
CLOCK_PORTS = ("clk", "rst")               # added by Amaranth's Verilog back end
# suffixes of an array parameter ``X``'s memory port (X_address0 ...) and of its arbiter pair
MEMORY_PORT_SUFFIXES = ("address0", "ce0", "we0", "d0", "q0")
READ_PORT_SUFFIXES = ("address0", "ce0", "q0")              # of a two-port argument
WRITE_PORT_SUFFIXES = ("address1", "ce1", "we1", "d1")
SECOND_PORT_SUFFIXES = WRITE_PORT_SUFFIXES + ("q1",)        # a true-dual-port argument's
ARBITER_PORT_SUFFIXES = ("req", "gnt")


def hw_shape(t: AlloType):
    """Amaranth shape carrying a raw value of type t (a float: its IEEE bits, unsigned)."""
    return signed(t.hw_bits) if t.signed and not t.is_float else unsigned(t.hw_bits)


@dataclass
class ArrayPort:
    name: str
    dtype: AlloType
    shape: tuple
    role: str              # "param" | "result"
    index: int             # position among the kernel's params / results
    reads: bool = True
    writes: bool = True
    ram_style: str | None = None     # Yosys ram_style of the memory holding it (a Memory request)
    two_port: bool = False           # a read and a write port (RAM_2P), not one shared port
    dual_port: bool = False          # two read/write port sets (RAM_T2P)
    spram: bool = False              # the harness holds it in SPRAM (hls/single_port.py)

    @property
    def depth(self) -> int:
        return math.prod(self.shape)

    @property
    def addr_width(self) -> int:
        return max(1, (self.depth - 1).bit_length())

    def signal(self, suffix: str) -> str:
        """Port name, suffix one of ``port_suffixes``."""
        return f"{self.name}_{suffix}"

    @property
    def port_suffixes(self) -> tuple:
        if self.dual_port:
            return MEMORY_PORT_SUFFIXES + SECOND_PORT_SUFFIXES
        return READ_PORT_SUFFIXES + WRITE_PORT_SUFFIXES if self.two_port else MEMORY_PORT_SUFFIXES

    def kernel_reads(self, sig):
        """The condition "the kernel reads this array now", ``sig(suffix)`` its signals."""
        if self.dual_port:
            return sig("ce0") & ~sig("we0") | sig("ce1") & ~sig("we1")
        return sig("ce0") if self.two_port else sig("ce0") & ~sig("we0")

    def kernel_reads_per_port(self, sig) -> list:
        """The conditions "the kernel reads through this port now", one per port set that
        reads (two on a dual-port argument)."""
        if self.dual_port:
            return [sig("ce0") & ~sig("we0"), sig("ce1") & ~sig("we1")]
        return [self.kernel_reads(sig)]


@dataclass
class ScalarPort:
    name: str
    dtype: AlloType
    role: str              # "param" | "result"
    index: int


@dataclass
class KernelInterface:
    name: str
    params: list = field(default_factory=list)     # ArrayPort | ScalarPort, signature order
    results: list = field(default_factory=list)
    returns_tuple: bool = False

    @property
    def arrays(self) -> list:
        return [p for p in (*self.params, *self.results) if isinstance(p, ArrayPort)]


def interface_of(f: ir.Function, ram_styles: dict | None = None,
                 two_port=frozenset(), dual_port=frozenset(),
                 spram=frozenset()) -> KernelInterface:
    """The top-level interface of function ``f`` (names from the source survive);
    ``ram_styles`` (array name -> Yosys ram_style) is what the arrays' memories are to be;
    ``two_port``: names of the arrays with a read and a write port; ``dual_port``: names of
    those with two read/write port sets; ``spram``: those the harness holds in SPRAM."""
    ram_styles = ram_styles or {}
    written, read = written_buffers(f), read_buffers(f)
    iface = KernelInterface(f.name, returns_tuple=f.returns_tuple)
    for k, p in enumerate(f.params):
        if isinstance(p, ir.Buffer):
            iface.params.append(ArrayPort(p.name, p.dtype, p.shape, "param", k,
                                          reads=id(p) in read, writes=id(p) in written,
                                          ram_style=ram_styles.get(p.name),
                                          two_port=p.name in two_port,
                                          dual_port=p.name in dual_port,
                                          spram=p.name in spram))
        elif isinstance(p, ir.Channel):
            continue            # a stream interface (``rtl.streams``), not a data port
        else:
            iface.params.append(ScalarPort(p.name, p.type, "param", k))
    for k, r in enumerate(f.results):
        if isinstance(r, ir.Buffer):
            iface.results.append(ArrayPort(r.name, r.dtype, r.shape, "result", k,
                                           reads=id(r) in read, writes=True,
                                           ram_style=ram_styles.get(r.name),
                                           two_port=r.name in two_port,
                                           dual_port=r.name in dual_port,
                                           spram=r.name in spram))
        else:
            iface.results.append(ScalarPort(r.name, r.type, "result", k))
    return iface
