"""MachSuite kernels for the QoR suite, written in Allo syntax from MachSuite's descriptions
of the algorithms, run on MachSuite's own input data and checked against its check data
(``/work/shared/benchmarks/machsuite``, MachSuite's BSD license beside it; the data are read
from there, never copied into this repository). Override the place with ``MACHSUITE_DATA``.

Each kernel has ``inputs(data) -> args`` and ``check(args, result, expected) -> str | None``
(None: matches; else what differs). gemm/ncubed is float64 in MachSuite; the hardware has
float32 so far, so it runs in float32 and is compared with a relative tolerance of 1e-4
(stated in the table).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float32, int8, int32

DATA = Path(os.environ.get("MACHSUITE_DATA", "/work/shared/benchmarks/machsuite"))


def sections(path: Path) -> list:
    """The ``%%``-separated sections of a MachSuite data file, each a list of its lines."""
    out = []
    for line in path.read_text().splitlines():
        if line.strip() == "%%":
            out.append([])
        elif out and line.strip():
            out[-1].append(line.strip())
    return out


# --- stencil/stencil2d: 3x3 filter over a 128x64 image ---------------------------------
ROWS, COLS = 128, 64


def stencil2d(orig: int32[ROWS, COLS], sol: int32[ROWS, COLS], filt: int32[3, 3]):
    for r, c in allo.grid(ROWS - 2, COLS - 2):
        acc: int32 = 0
        for k1, k2 in allo.grid(3, 3):
            acc += filt[k1, k2] * orig[r + k1, c + k2]
        sol[r, c] = acc


def stencil2d_inputs(data):
    orig, filt = data
    return [np.array(orig, np.int64).astype(np.int32).reshape(ROWS, COLS),
            np.zeros((ROWS, COLS), np.int32), np.array(filt, np.int32).reshape(3, 3)]


def stencil2d_check(args, result, expected):
    want = np.array(expected[0], np.int64).astype(np.int32).reshape(ROWS, COLS)
    bad = int(np.count_nonzero(args[1] != want))
    return None if bad == 0 else f"{bad} of {want.size} outputs differ"


# --- kmp: Knuth-Morris-Pratt count of a 4-character pattern in a 32411-character text ---
PATTERN, TEXT = 4, 32411


def kmp(pattern: int8[PATTERN], text: int8[TEXT], n_matches: int32[1]):
    # failure function: fail[q] is the length of the longest proper prefix of
    # pattern[0..q] that is also its suffix
    fail: int32[PATTERN] = 0
    k: int32 = 0
    for q in range(1, PATTERN):
        while k > 0 and pattern[k] != pattern[q]:
            k = fail[k - 1]
        if pattern[k] == pattern[q]:
            k = k + 1
        fail[q] = k
    matched: int32 = 0
    count: int32 = 0
    for i in range(TEXT):
        while matched > 0 and pattern[matched] != text[i]:
            matched = fail[matched - 1]
        if pattern[matched] == text[i]:
            matched = matched + 1
        if matched == PATTERN:
            count = count + 1
            matched = fail[matched - 1]
    n_matches[0] = count


def _chars(s: str):
    return np.frombuffer(s.encode("ascii"), np.uint8).astype(np.int8)


def kmp_inputs(data):
    pattern, text = data[0][0], data[1][0]
    # MachSuite's text array holds the string and its terminating NUL
    assert len(pattern) == PATTERN and len(text) == TEXT - 1, (len(pattern), len(text))
    return [_chars(pattern), _chars(text + "\0"), np.zeros(1, np.int32)]


def kmp_check(args, result, expected):
    want = int(expected[0][0])
    got = int(args[2][0])
    return None if got == want else f"{got} matches, check data says {want}"


# --- gemm/ncubed: 64x64 matrix product, float32 here (float64 in MachSuite) --------------
GN = 64


def gemm_ncubed(m1: float32[GN, GN], m2: float32[GN, GN], prod: float32[GN, GN]):
    for i, j in allo.grid(GN, GN):
        acc: float32 = 0.0
        for k in range(GN):
            acc += m1[i, k] * m2[k, j]
        prod[i, j] = acc


def gemm_inputs(data):
    m1, m2 = (np.array(d, np.float64).astype(np.float32).reshape(GN, GN) for d in data)
    return [m1, m2, np.zeros((GN, GN), np.float32)]


def gemm_check(args, result, expected):
    want = np.array(expected[0], np.float64).reshape(GN, GN)
    err = float(np.max(np.abs(args[2] - want) / np.abs(want)))
    return None if err <= 1e-4 else f"max relative error {err:.2e} > 1e-4"


@dataclass
class MachKernel:
    name: str              # MachSuite's kernel/variant
    kernel: object
    inputs: object
    check: object
    note: str = ""

    def data(self):
        folder = DATA / self.name
        return sections(folder / "input.data"), sections(folder / "check.data")


KERNELS = [
    MachKernel("stencil/stencil2d", stencil2d, stencil2d_inputs, stencil2d_check),
    MachKernel("kmp/kmp", kmp, kmp_inputs, kmp_check),
    MachKernel("gemm/ncubed", gemm_ncubed, gemm_inputs, gemm_check,
               "float32 (MachSuite: float64), relative tolerance 1e-4"),
]
