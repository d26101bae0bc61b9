"""Reusable Amaranth building blocks: operators, memories, FIFOs, handshakes.

Each block is an ``amaranth.lib.wiring.Component`` usable on its own and tested on its own.
"""
