"""Host side of the board link: ``Device(port, schedule)`` is called like the kernel.

``dev(*numpy_args)`` loads the arguments into the board's memories over the UART, starts the
kernel, reads the results back, updates written arguments in place and sets ``dev.cycles``
(the board's own cycle counter). Transports: ``SerialTransport`` (pyserial, a real board) and
``SimulatedBoard`` (the whole board logic in Amaranth's simulator, UART included).
"""
from __future__ import annotations

from amaranth.hdl import Module
from amaranth.sim import Simulator

from ..errors import AlloError
from ..hls.banking import bank_module
from ..ir.analysis import written_buffers
from ..rtl.interface import interface_of
from ..sim import boundary
from ..sim.amaranth_sim import _args_after, _results
from ..primitives.uart import UartRx, UartTx
from .host_link import HostLink
from .protocol import Protocol
from ..sim.user_call import user_call


class SerialTransport:
    def __init__(self, port: str, baud: int = 115200, timeout: float = 10.0):
        try:
            import serial
        except ImportError:
            raise AlloError("talking to a board needs pyserial", hint="pip install pyserial") from None
        try:
            self.port = serial.Serial(port, baud, timeout=timeout)
        except serial.SerialException as err:
            raise AlloError(f"cannot open serial port {port}: {err}",
                            hint="check the board is plugged in and the port name (ls /dev/tty*)") from None

    def run(self, transactions) -> list:
        replies = []
        for request, reply_len in transactions:
            self.port.write(request)
            data = self.port.read(reply_len) if reply_len else b""
            if len(data) != reply_len:
                raise AlloError(f"the board sent {len(data)} of {reply_len} reply bytes to "
                                f"{request[:1]!r}", hint="is the bitstream for this kernel loaded?")
            replies.append(data)
        return replies


class SimulatedBoard:
    """The board top's logic (``HostLink``) in Amaranth simulation, driven through a host-side
    UART at ``divisor`` clocks per bit (small divisors keep tests fast)."""

    def __init__(self, design, divisor: int = 4, max_cycles: int = 2_000_000):
        self.design, self.divisor, self.max_cycles = design, divisor, max_cycles
        self.iface = design.interface()
        self.cycles_simulated = 0

    def run(self, transactions) -> list:
        m = Module()
        m.submodules.board = board = HostLink(self.design.component, self.iface, self.divisor)
        m.submodules.host_tx = host_tx = UartTx(self.divisor)
        m.submodules.host_rx = host_rx = UartRx(self.divisor)
        m.d.comb += [board.rx.eq(host_tx.tx), host_rx.rx.eq(board.tx)]
        replies, budget = [], [self.max_cycles]

        async def tick(ctx, *signals):
            budget[0] -= 1
            if budget[0] < 0:
                raise _OutOfCycles
            return await ctx.tick().sample(*signals)

        async def host(ctx):
            try:
                for request, reply_len in transactions:
                    for b in request:
                        ctx.set(host_tx.data.payload, b)
                        ctx.set(host_tx.data.valid, 1)
                        *_, ready = await tick(ctx, host_tx.data.ready)
                        while not ready:
                            *_, ready = await tick(ctx, host_tx.data.ready)
                    ctx.set(host_tx.data.valid, 0)
                    data = bytearray()
                    ctx.set(host_rx.data.ready, 1)
                    while len(data) < reply_len:
                        *_, valid, payload = await tick(ctx, host_rx.data.valid,
                                                        host_rx.data.payload)
                        if valid:
                            data.append(payload)
                    replies.append(bytes(data))
            except _OutOfCycles:
                pass

        sim = Simulator(m)
        sim.add_clock(1e-7)
        sim.add_testbench(host)
        sim.run()
        self.cycles_simulated = self.max_cycles - budget[0]
        if len(replies) != len(transactions):
            raise AlloError(f"the simulated board answered {len(replies)} of "
                            f"{len(transactions)} requests within {self.max_cycles} cycles")
        return replies


class _OutOfCycles(Exception):
    pass


class Device:
    """A kernel on a board (or the simulated board), callable like ``s.build()``."""

    def __init__(self, port, schedule, baud: int = 115200, timeout: float = 10.0):
        # the board runs the banked design: split partitioned arrays as the build does
        module, banks = bank_module(schedule.module)
        self.top = module.top_func
        self.banks = banks.get(module.top)
        self.iface = interface_of(self.top)
        self.protocol = Protocol(self.iface)
        self.transport = SerialTransport(port, baud, timeout) if isinstance(port, str) else port
        self._written = written_buffers(self.top)
        self.cycles = None

    @user_call
    def __call__(self, *args, wrap=False):
        raw = boundary.convert_args(self.top, args, self.banks, wrap=wrap)
        replies = self.transport.run(self.protocol.transactions(raw))
        cycles, arrays, scalars = self.protocol.decode(replies)
        outcome = {"arrays": arrays, "scalars": scalars}
        self.cycles = cycles
        boundary.write_back(self.top, args, _args_after(self.iface, raw, outcome), self._written,
                            self.banks)
        return boundary.convert_results(self.top, _results(self.iface, outcome), self.banks,
                                         args)
