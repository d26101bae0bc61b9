"""The boards allo-rtl builds for: amaranth-boards platforms plus what the flow needs to know.

A board is data: its platform class, FPGA family (for the operator timing model and the
synthesis options), whether it has a UART for the host link, how to reach LEDs, and the
device's block RAM / DSP / logic / SPRAM capacity for the checks made before place and route.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import AlloError


@dataclass(frozen=True)
class Board:
    name: str
    platform: str             # "module:Class" in amaranth_boards
    family: str               # "ice40" | "ecp5"
    description: str
    has_uart: bool
    leds: tuple               # (resource, index) pairs: pass/busy first, then fail/done
    bram_bits: int
    dsps: int
    luts: int
    # iCE40: the oscillator pin is the PLL's own pad (SB_PLL40_PAD); else SB_PLL40_CORE
    # takes the clock from the pin's input buffer
    clock_on_pll_pad: bool = True
    spram_blocks: int = 0     # iCE40 UltraPlus SB_SPRAM256KA (16 bits x 16K words each)

    def platform_class(self):
        module, cls = self.platform.split(":")
        return getattr(importlib.import_module(f"amaranth_boards.{module}"), cls)


BOARDS = {b.name: b for b in [
    Board("icebreaker", "icebreaker:ICEBreakerPlatform", "ice40",
          "1BitSquared iCEBreaker, iCE40 UP5K, 12 MHz, FTDI UART", True,
          (("led_g", 0), ("led_r", 0)), 30 * 4096, 8, 5280, spram_blocks=4),
    Board("ulx3s-85f", "ulx3s:ULX3S_85F_Platform", "ecp5",
          "Radiona ULX3S, ECP5 LFE5U-85F, 25 MHz, FTDI UART", True,
          (("led", 0), ("led", 1)), 208 * 18432, 156, 83640),
    Board("ice40-hx8k-evn", "ice40_hx8k_b_evn:ICE40HX8KBEVNPlatform", "ice40",
          "Lattice iCE40-HX8K breakout, 12 MHz, FTDI UART", True,
          (("led", 0), ("led", 1)), 32 * 4096, 0, 7680, clock_on_pll_pad=False),
    Board("versa-ecp5", "versa_ecp5:VersaECP5Platform", "ecp5",
          "Lattice ECP5 Versa, LFE5UM-45F, 100 MHz, UART", True,
          (("led", 0), ("led", 1)), 108 * 18432, 72, 43848),
    Board("orangecrab-25f", "orangecrab_r0_2:OrangeCrabR0_2_25FPlatform", "ecp5",
          "OrangeCrab r0.2, ECP5 LFE5U-25F, 48 MHz, no UART (BIST mode only)", False,
          (("rgb_led", 0),), 56 * 18432, 28, 24288),
]}


def get_board(name: str) -> Board:
    if name not in BOARDS:
        raise AlloError(f"unknown board {name!r}",
                        hint=f"known boards: {', '.join(BOARDS)} (allo-rtl boards lists them)")
    return BOARDS[name]


def format_boards() -> str:
    rows = [f"{b.name:16s} {b.family:6s} {'uart+bist' if b.has_uart else 'bist':10s} "
            f"{b.description}" for b in BOARDS.values()]
    return "\n".join(rows)
