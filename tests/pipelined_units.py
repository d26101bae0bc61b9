"""Shared by the pipelined-unit kernel tests (test_pipeline_mul, test_pipeline_div): the
opcodes a design was scheduled with, and one kernel run on hardware, the interpreter and
the cycle model."""


def opcodes(design) -> list:
    ops = []
    for d in design.designs.values():
        blocks = [s.block for s in d.schedules.values()]
        blocks += [p.schedule.block for p in d.pipelines.values()]
        ops += [op.opcode for b in blocks for op in b.ops]
    return ops


def run_three_ways(schedule, kernel, args, family, clock_ns):
    """(hardware result, interpreter result, hardware cycles, cycle-model cycles);
    ``schedule(kernel)`` gives a fresh schedule each time."""
    hw = schedule(kernel).build(family=family, clock_ns=clock_ns)
    got = hw(*[a.copy() for a in args])
    ref = schedule(kernel).build(target="python")(*[a.copy() for a in args])
    model = schedule(kernel).build(target="cycles", family=family, clock_ns=clock_ns)
    model(*[a.copy() for a in args])
    return got, ref, hw.cycles, model.cycles
