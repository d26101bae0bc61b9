"""Boards: bitstreams with the open toolchain, the UART host link and BIST mode.

``s.build(target="board", board="icebreaker", project="build/ice")`` builds; ``Device(port, s)``
runs the kernel on the board from the host; ``allo-rtl boards`` lists the boards.
"""
from .device import Device, SimulatedBoard
from .registry import BOARDS, get_board

__all__ = ["Device", "SimulatedBoard", "BOARDS", "get_board"]
