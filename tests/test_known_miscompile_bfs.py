"""Fixed (rtl/port_names.py): bfs's parameter ``start`` had replaced the kernel's start port,
so the RTL read the start pulse (1) as the start node. Kept as a regression test.

A miscompile the QoR suite found (MachSuite bfs/queue, benchmarks/machsuite.py): the RTL's
per-level counts differ from the interpreter's when a while loop pops nodes from a local
queue and an inner loop with run-time bounds updates a level array and a counts array. The
small graph below reproduces it (interpreter: counts [1, 2, 1, 0], Amaranth RTL [1, 1, 0, 0]
at the time of writing); the RTL then discovers fewer nodes, so its control takes another
path too (51 cycles against the cycle model's 81 for the correct run; on MachSuite's own
graph the totals happen to agree). Strict xfail: when the bug is fixed this test fails, and
the marker goes (it went)."""
import numpy as np

import allo_rtl as allo
from allo_rtl import int32

NODES, EDGES, MAX_LEVEL, LEVELS = 8, 16, 127, 4


def bfs(start: int32, edge_begin: int32[NODES], edge_end: int32[NODES], edges: int32[EDGES],
        level_counts: int32[LEVELS]):
    level: int32[NODES] = 0
    queue: int32[NODES] = 0
    for n in range(NODES):
        level[n] = MAX_LEVEL
    for k in range(LEVELS):
        level_counts[k] = 0
    level[start] = 0
    level_counts[0] = 1
    queue[0] = start
    head: int32 = 0
    tail: int32 = 1
    while head < tail:
        node: int32 = queue[head]
        head = head + 1
        for e in range(edge_begin[node], edge_end[node]):
            dst: int32 = edges[e]
            if level[dst] == MAX_LEVEL:
                level[dst] = level[node] + 1
                level_counts[level[node] + 1] += 1
                queue[tail] = dst
                tail = tail + 1


def bfs_ref(start, begin, end, edges):
    """Level counts by a plain Python BFS (independent of allo_rtl)."""
    level = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for n in frontier:
            for e in range(begin[n], end[n]):
                d = int(edges[e])
                if d not in level:
                    level[d] = level[n] + 1
                    nxt.append(d)
        frontier = nxt
    counts = np.zeros(LEVELS, np.int32)
    for v in level.values():
        counts[v] += 1
    return counts


GRAPH = ((np.arange(NODES) * 2).astype(np.int32), np.array([2, 3, 5, 6, 8, 10, 12, 14], np.int32),
         np.array([1, 6, 5, 7, 4, 4, 7, 5, 5, 4, 4, 7, 2, 6, 5, 0], np.int32))


def test_the_interpreter_agrees_with_a_python_bfs():
    counts = np.zeros(LEVELS, np.int32)
    allo.customize(bfs).build(target="python")(0, *GRAPH, counts)
    assert np.array_equal(counts, bfs_ref(0, *GRAPH))


def test_the_rtl_agrees_with_a_python_bfs():
    mod = allo.customize(bfs).build()
    counts = np.zeros(LEVELS, np.int32)
    mod(0, *GRAPH, counts)
    assert np.array_equal(counts, bfs_ref(0, *GRAPH))
    assert mod.estimate(0, *GRAPH, np.zeros(LEVELS, np.int32)) == mod.cycles
