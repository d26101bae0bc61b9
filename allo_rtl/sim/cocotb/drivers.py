"""cocotb pieces for users' own tests of allo-rtl hardware.

* ``ApMemory``: plays a BRAM on a bare kernel's ap_memory port ``X_address0/_ce0/_we0/_d0/_q0``
  (read latency 1, one access per cycle), or on a two-port argument's read and write ports,
  with the contents in a Python list.
* ``HostMemory``: loads/dumps a ``KernelHarness`` memory through its host port.
* ``read_int`` / ``write_int``: signal values as Python ints with the right sign.
"""
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.types import Logic


def write_int(handle, value: int, bits: int):
    handle.value = int(value) & ((1 << bits) - 1)


def level(handle) -> int:
    """A control bit as 0/1; X or Z (e.g. before a design's first clock) count as 0."""
    v = handle.value
    return int(v) if v.is_resolvable else 0


def read_int(handle, signed: bool) -> int:
    v = handle.value
    if isinstance(v, Logic):
        # cocotb 2 gives a 1-bit port's value as a Logic (no to_signed/to_unsigned); as a
        # signed 1-bit number, a set bit is -1
        bit = int(v)
        return -bit if signed else bit
    return v.to_signed() if signed else v.to_unsigned()


class HostMemory:
    """Host port of a harness memory: ``host_<name>_{addr,we,wdata,raddr,rdata}``."""

    def __init__(self, dut, name: str, depth: int, signed: bool, bits: int):
        self.dut, self.name, self.depth, self.signed, self.bits = dut, name, depth, signed, bits

    def _sig(self, s):
        return getattr(self.dut, f"host_{self.name}_{s}")

    def idle(self):
        self._sig("we").value = 0
        self._sig("addr").value = 0
        self._sig("raddr").value = 0

    async def load(self, words):
        """Write words[0..] at addresses 0.. (one per clock)."""
        clk = self.dut.clk
        for i, w in enumerate(words):
            self._sig("addr").value = i
            write_int(self._sig("wdata"), w, self.bits)
            self._sig("we").value = 1
            await RisingEdge(clk)
        self._sig("we").value = 0

    async def dump(self) -> list:
        """Read the whole memory (pipelined: one word per clock)."""
        clk, out = self.dut.clk, []
        self._sig("raddr").value = 0
        await RisingEdge(clk)
        for i in range(self.depth):
            if i + 1 < self.depth:
                self._sig("raddr").value = i + 1
            await ReadOnly()
            out.append(read_int(self._sig("rdata"), self.signed))
            await RisingEdge(clk)
        return out


class ApMemory:
    """A BRAM model on a bare kernel's ap_memory port; start it with ``cocotb.start_soon(m.run())``.

    ``words`` is the contents (list of ints), updated by the kernel's writes. A two-port
    argument (``X_address1/_ce1/_we1/_d1`` present: RAM_2P) reads on port 0 and writes on
    port 1 in the same cycle; a read of the word written then gives the old word. A
    true-dual-port argument (``X_q1`` present too: RAM_T2P) has two read/write ports, each
    serving one access per cycle (reads see the words from before the cycle's writes)."""

    def __init__(self, dut, name: str, words: list, signed: bool = True):
        self.dut, self.name, self.words, self.signed = dut, name, list(words), signed
        self.bits = len(getattr(dut, f"{name}_q0"))
        self.dual = hasattr(dut, f"{name}_q1")
        self.two_port = hasattr(dut, f"{name}_ce1") and not self.dual
        self.reads = self.writes = 0

    def _sig(self, s):
        return getattr(self.dut, f"{self.name}_{s}")

    def _request(self):
        """(read address or None, (write address, data) or None) the kernel asks for now."""
        ce = level(self._sig("ce0"))
        if self.two_port:
            read = int(self._sig("address0").value) if ce else None
            wce, we = level(self._sig("ce1")), level(self._sig("we1"))
            write = ((int(self._sig("address1").value), read_int(self._sig("d1"), self.signed))
                     if wce and we else None)
            return read, write
        we = level(self._sig("we0"))
        addr = int(self._sig("address0").value) if ce else 0
        if ce and we:
            return None, (addr, read_int(self._sig("d0"), self.signed))
        return (addr if ce else None), None

    def _port_request(self, k):
        """(read address or None, (write address, data) or None) on port set ``k``."""
        if not level(self._sig(f"ce{k}")):
            return None, None
        addr = int(self._sig(f"address{k}").value)
        if level(self._sig(f"we{k}")):
            return None, (addr, read_int(self._sig(f"d{k}"), self.signed))
        return addr, None

    async def _run_dual(self, clk):
        while True:
            await ReadOnly()
            requests = [self._port_request(k) for k in range(2)]
            await RisingEdge(clk)
            for k, (read, _) in enumerate(requests):   # reads see the words before writes
                if read is not None:
                    write_int(self._sig(f"q{k}"), self.words[read], self.bits)
                    self.reads += 1
            for _, write in requests:
                if write is not None:
                    self.words[write[0]] = write[1]
                    self.writes += 1

    async def run(self):
        clk = self.dut.clk
        if self.dual:
            await self._run_dual(clk)
        while True:
            await ReadOnly()                       # the kernel's request for this cycle
            read, write = self._request()
            await RisingEdge(clk)                  # the memory acts on the edge
            if read is not None:
                write_int(self._sig("q0"), self.words[read], self.bits)
                self.reads += 1
            if write is not None:
                self.words[write[0]] = write[1]
                self.writes += 1
