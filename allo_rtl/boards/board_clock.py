"""The ``sync`` domain of a board top built at a clock other than the oscillator's.

``BoardClock(config)`` requests the board's clock pin, runs it through the part's PLL
(``pll.PllConfig``) and drives the clock and reset of ``sync`` from the PLL output; the board
top defines the domain (Amaranth 0.6 wants a domain defined above every user of it). The domain's reset is held until
the PLL reports lock and then for a further power-on delay: iCE40 block RAMs read as zero for
~3 us after configuration (Amaranth's own iCE40 clock waits 15 us; so do we, on both families,
counted in the generated clock).
"""
from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, Const, Elaboratable, Instance, Module, \
    ResetSignal, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer

from .pll import PllConfig

POWER_ON_DELAY_S = 15e-6


class BoardClock(Elaboratable):
    def __init__(self, config: PllConfig, on_pll_pad: bool = True):
        self.config, self.on_pll_pad = config, on_pll_pad
        self.clk = Signal(name="pll_clk")
        self.lock = Signal()

    def elaborate(self, platform):
        m = Module()
        cfg = self.config
        pin = platform.request(platform.default_clk, dir="-")
        if cfg.family == "ice40" and self.on_pll_pad:
            m.submodules.pll = _sb_pll40(cfg, "SB_PLL40_PAD", {"io_PACKAGEPIN": pin.io},
                                         self.clk, self.lock)
        else:
            m.submodules.clk_in = clk_in = io.Buffer("i", pin)
            if cfg.family == "ecp5":
                m.submodules.pll = _ehxplll(cfg, clk_in.i, self.clk, self.lock)
            else:
                m.submodules.pll = _sb_pll40(cfg, "SB_PLL40_CORE",
                                             {"i_REFERENCECLK": clk_in.i}, self.clk, self.lock)
        # no add_clock_constraint: the PLL output merges into the sync clock net and loses
        # its name; nextpnr derives the constraint from the PLL's dividers itself (its log:
        # "Derived frequency constraint of ... MHz")

        m.d.comb += ClockSignal("sync").eq(self.clk)
        # lock comes from the PLL's own logic, not from this domain: synchronize it; the
        # counter restarts whenever lock drops
        m.domains.pll_por = ClockDomain("pll_por", reset_less=True, local=True)
        m.d.comb += ClockSignal("pll_por").eq(self.clk)
        locked = Signal()
        m.submodules.lock_sync = FFSynchronizer(self.lock, locked, o_domain="pll_por")
        delay = max(1, int(POWER_ON_DELAY_S * cfg.output_mhz * 1e6))
        timer = Signal(range(delay + 1))
        ready = Signal()
        with m.If(~locked):
            m.d.pll_por += [timer.eq(0), ready.eq(0)]
        with m.Elif(timer == delay):
            m.d.pll_por += ready.eq(1)
        with m.Else():
            m.d.pll_por += timer.eq(timer + 1)
        m.d.comb += ResetSignal("sync").eq(~ready)
        return m


def _ehxplll(cfg: PllConfig, clk_in, clk_out, lock) -> Instance:
    d = cfg.dividers
    return Instance(
        "EHXPLLL",
        # nextpnr reads these to derive the output constraint; Diamond needs them too
        a_FREQUENCY_PIN_CLKI=f"{cfg.input_mhz:g}", a_FREQUENCY_PIN_CLKOP=f"{cfg.output_mhz:.6g}",
        a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
        a_MFG_GMCREF_SEL="2",
        p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
        p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
        p_CLKI_DIV=d["CLKI_DIV"], p_CLKFB_DIV=d["CLKFB_DIV"], p_CLKOP_DIV=d["CLKOP_DIV"],
        # the vendor tool's default: the output shifted by half its period
        p_CLKOP_CPHASE=d["CLKOP_DIV"] // 2, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
        i_CLKI=clk_in, i_CLKFB=clk_out, o_CLKOP=clk_out, o_LOCK=lock,
        i_RST=Const(0), i_STDBY=Const(0), i_PHASESEL0=Const(0), i_PHASESEL1=Const(0),
        i_PHASEDIR=Const(1), i_PHASESTEP=Const(1), i_PHASELOADREG=Const(1),
        i_PLLWAKESYNC=Const(0), i_ENCLKOP=Const(0))


def _sb_pll40(cfg: PllConfig, cell: str, clock_in: dict, clk_out, lock) -> Instance:
    # SB_PLL40_PAD where the oscillator sits on the PLL's own pad (iCEBreaker pin 35: the pad
    # variant takes the pin directly, and nextpnr refuses an SB_IO in between); elsewhere
    # (HX8K breakout J3) SB_PLL40_CORE from the pin's input buffer
    d = cfg.dividers
    return Instance(
        cell, p_FEEDBACK_PATH="SIMPLE", p_PLLOUT_SELECT="GENCLK",
        p_DIVR=Const(d["DIVR"], 4), p_DIVF=Const(d["DIVF"], 7), p_DIVQ=Const(d["DIVQ"], 3),
        p_FILTER_RANGE=Const(d["FILTER_RANGE"], 3), **clock_in,
        o_PLLOUTGLOBAL=clk_out, o_LOCK=lock, i_RESETB=Const(1), i_BYPASS=Const(0))
