"""High-level synthesis passes: CDFG, operator timing, scheduling, binding, FSM."""
