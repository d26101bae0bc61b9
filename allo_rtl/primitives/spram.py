"""Single-port RAM: one shared read/write address, the interface of iCE40 UltraPlus SPRAM.

Cycle behaviour: in a cycle with ``we`` high, ``mem[addr] <= wdata``; in a cycle with ``en``
high and ``we`` low, ``rdata`` holds ``mem[addr]`` from the next cycle on (read latency 1).
A read is disabled while writing (Yosys's ``rdwr no_change``): ``rdata`` keeps the last word
read while the port writes or idles. There are no initial contents: an SPRAM powers up
undefined, so every read must follow a write of its word (the behavioural model reads 0, or
``init``: a simulation's preloaded arguments).

Two implementations of the same ports:

* ``cells=False`` (simulation, Verilog for any tool): an ``amaranth.lib.memory.Memory`` with
  one read and one write port driven by the one address.
* ``cells=True`` (iCE40 UltraPlus builds): ``SB_SPRAM256KA`` instances, 16 bits x 16 384 words
  each; a wider word takes ``ceil(width / 16)`` blocks side by side, a deeper array
  ``ceil(depth / 16384)`` rows of them, one row selected by the address's high bits (the row
  of the last read is registered to pick its data). Why instances rather than an inferred
  memory: Amaranth gives every memory an initial-contents cell (``$meminit_v2``, zeros even
  for ``init=[]``), and with it Yosys's ``memory_libmap`` finds no SPRAM mapping (SPRAM has
  no initial contents), so the memory would silently become block RAM or logic.
"""
from __future__ import annotations

import math

from amaranth.hdl import Array, Cat, ClockSignal, Const, Module, Shape, Signal, Value
from amaranth.hdl import Instance
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

BLOCK_BITS = 16               # SB_SPRAM256KA: 16 bits x 16K words
BLOCK_WORDS = 16384
BLOCK_ADDR_BITS = 14


def spram_blocks(width: int, depth: int) -> int:
    """SB_SPRAM256KA blocks a ``width``-bit, ``depth``-word memory takes."""
    return math.ceil(width / BLOCK_BITS) * math.ceil(depth / BLOCK_WORDS)


class SinglePortRAM(wiring.Component):
    """A memory with one read/write port.

    Parameters
    ----------
    shape : shape-castable
        The word's shape (``rdata`` has it; ``wdata`` too).
    depth : int
        Words.
    cells : bool
        Build from ``SB_SPRAM256KA`` instances (iCE40 UltraPlus) instead of an Amaranth
        memory.
    init : list of int
        Initial words of the behavioural memory (``cells=False`` only: an SPRAM has none).

    Members
    -------
    addr : In(max(1, ceil(log2(depth))))
    en : In(1)      read enable (ignored while ``we`` is high)
    we : In(1)      write enable
    wdata : In(shape)
    rdata : Out(shape)   the word read in the previous read cycle
    """

    def __init__(self, shape, depth: int, *, cells: bool = False, init=()):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            self._MustUse__silence = True
            raise ValueError(f"depth must be a positive integer, not {depth!r}")
        if cells and len(init):
            self._MustUse__silence = True
            raise ValueError("SB_SPRAM256KA cells have no initial contents; init must be "
                             "empty with cells=True")
        self.shape, self.depth, self.cells = shape, depth, bool(cells)
        self.init = list(init)
        # the behavioural memory, made here so a simulation can read its words (``data``)
        self._mem = None if cells else Memory(shape=shape, depth=depth, init=self.init)
        self.width = Shape.cast(shape).width
        self.addr_width = max(1, (depth - 1).bit_length())
        super().__init__({"addr": In(self.addr_width), "en": In(1), "we": In(1),
                          "wdata": In(shape), "rdata": Out(shape)})

    @property
    def data(self):
        """The behavioural memory's words (``cells=False``), for a simulator to read."""
        return self._mem.data

    @property
    def blocks(self) -> int:
        return spram_blocks(self.width, self.depth)

    def elaborate(self, platform):
        m = Module()
        if not self.cells:
            m.submodules.mem = mem = self._mem
            rd, wr = mem.read_port(transparent_for=()), mem.write_port()
            m.d.comb += [rd.addr.eq(self.addr), wr.addr.eq(self.addr),
                         rd.en.eq(self.en & ~self.we), wr.en.eq(self.we),
                         wr.data.eq(self.wdata), self.rdata.eq(rd.data)]
            return m
        cols = math.ceil(self.width / BLOCK_BITS)
        rows = math.ceil(self.depth / BLOCK_WORDS)
        low = min(self.addr_width, BLOCK_ADDR_BITS)
        address = Cat(self.addr[:low], Const(0, BLOCK_ADDR_BITS - low))
        wbits = Cat(Value.cast(self.wdata), Const(0, cols * BLOCK_BITS - self.width))
        row = self.addr[BLOCK_ADDR_BITS:] if rows > 1 else Const(0, 1)
        outs = []
        for r in range(rows):
            here = row == r
            words = []
            for c in range(cols):
                q = Signal(BLOCK_BITS, name=f"q_r{r}_c{c}")
                m.submodules[f"spram_r{r}_c{c}"] = Instance(
                    "SB_SPRAM256KA",
                    i_ADDRESS=address, i_DATAIN=wbits[c * BLOCK_BITS:(c + 1) * BLOCK_BITS],
                    i_MASKWREN=Const(0b1111, 4), i_WREN=self.we & here,
                    i_CHIPSELECT=(self.en | self.we) & here, i_CLOCK=ClockSignal(),
                    i_STANDBY=Const(0, 1), i_SLEEP=Const(0, 1),
                    i_POWEROFF=Const(1, 1),          # active low: 1 keeps the block powered
                    o_DATAOUT=q)
                words.append(q)
            outs.append(Cat(*words))
        if rows == 1:
            m.d.comb += self.rdata.eq(outs[0][:self.width])
            return m
        last_row = Signal(range(rows), name="read_row")    # the row the data comes from
        with m.If(self.en & ~self.we):
            m.d.sync += last_row.eq(row)
        m.d.comb += self.rdata.eq(Array(outs)[last_row][:self.width])
        return m
