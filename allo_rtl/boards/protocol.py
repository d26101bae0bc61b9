"""The host link's byte protocol, shared by the board logic (``host_link``) and the host side
(``device``). Little-endian throughout; a word takes ``ceil(bits / 8)`` bytes.

=========  ===========================================  ==============================
command    request bytes                                reply
=========  ===========================================  ==============================
``W``      'W', array id, addr lo, addr hi, word        none
``R``      'R', array id, addr lo, addr hi              word
``S``      'S', scalar-input id, word                   none
``G``      'G' (start the kernel)                       'D', cycles (5 bytes), at done
``Q``      'Q', scalar-result id                        word
=========  ===========================================  ==============================

Ids number ``LinkItems.arrays`` / ``scalars_in`` / ``scalars_out`` from 0 in interface order.
Requests with replies must wait for the reply before the next request (the board has no
receive buffer); ``W``/``S`` may be streamed back to back.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..rtl.interface import ArrayPort, KernelInterface, ScalarPort
from ..sim.boundary import to_word

CMD_WRITE, CMD_READ, CMD_SET, CMD_GO, CMD_QUERY, REPLY_DONE = (ord(c) for c in "WRSGQD")
CYCLE_BYTES = 5
MAX_ADDRESS = 1 << 16


def nbytes(bits: int) -> int:
    return (bits + 7) // 8


@dataclass
class LinkItems:
    arrays: list
    scalars_in: list
    scalars_out: list

    @classmethod
    def of(cls, iface: KernelInterface) -> "LinkItems":
        return cls(list(iface.arrays),
                   [p for p in iface.params if isinstance(p, ScalarPort)],
                   [r for r in iface.results if isinstance(r, ScalarPort)])


def _word(value, dtype) -> bytes:
    """The bytes of a raw value's hardware word (a float's IEEE bits, not its value)."""
    bits = dtype.hw_bits
    return (to_word(dtype, value) & ((1 << bits) - 1)).to_bytes(nbytes(bits), "little")


def _value(data: bytes) -> int:
    """A word read back, as the simulators give it (``sim.boundary.from_word`` makes it a
    raw value: a float's bits are not its value)."""
    return int.from_bytes(data, "little")


class Protocol:
    """Encodes a kernel call as (request, reply length) transactions and decodes the replies."""

    def __init__(self, iface: KernelInterface):
        self.iface = iface
        self.items = LinkItems.of(iface)

    def transactions(self, raw_args: list) -> list:
        given = {p.name: raw for p, raw in zip(self.iface.params, raw_args)}
        out = []
        for k, a in enumerate(self.items.arrays):
            if a.role == "param":
                for addr, v in enumerate(given[a.name].reshape(-1)):
                    out.append((bytes([CMD_WRITE, k]) + addr.to_bytes(2, "little")
                                + _word(v, a.dtype), 0))
        for k, s in enumerate(self.items.scalars_in):
            out.append((bytes([CMD_SET, k]) + _word(given[s.name], s.dtype), 0))
        out.append((bytes([CMD_GO]), 1 + CYCLE_BYTES))
        for k, a in enumerate(self.items.arrays):
            for addr in range(a.depth):
                out.append((bytes([CMD_READ, k]) + addr.to_bytes(2, "little"),
                            nbytes(a.dtype.hw_bits)))
        for k, s in enumerate(self.items.scalars_out):
            out.append((bytes([CMD_QUERY, k]), nbytes(s.dtype.hw_bits)))
        return out

    def decode(self, replies: list):
        """(cycles, {array name: flat words}, {scalar result name: word}) from the replies
        of ``transactions`` (one entry per transaction, b"" where none is expected)."""
        replies = [r for r in replies if r]
        done = replies.pop(0)
        if done[0] != REPLY_DONE:
            raise ValueError(f"expected the done reply 'D', got {done!r}")
        cycles = int.from_bytes(done[1:], "little")
        arrays = {}
        for a in self.items.arrays:
            arrays[a.name] = [_value(replies.pop(0)) for _ in range(a.depth)]
        scalars = {s.name: _value(replies.pop(0)) for s in self.items.scalars_out}
        return cycles, arrays, scalars


def check_link_limits(iface: KernelInterface):
    for a in iface.arrays:
        if a.depth > MAX_ADDRESS:
            raise ValueError(f"array {a.name} has {a.depth} words; the host link addresses "
                             f"at most {MAX_ADDRESS}")
    if max(len(LinkItems.of(iface).arrays), len(iface.params), len(iface.results)) > 255:
        raise ValueError("the host link numbers at most 255 arrays or scalars")


__all__ = ["Protocol", "LinkItems", "nbytes", "check_link_limits", "ArrayPort"]
