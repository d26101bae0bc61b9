"""Which stage parameters share one memory with another stage of their dataflow region.

Assumes a verified module whose ``Dataflow`` statements reach hardware (their stages run at
the same time). An array the region passes to several stages that each read or write it has
one memory port for all of them: each such stage parameter is *arbitrated*. The stage's
kernel then asks for the port (``<param>_req``) in a state that accesses it and waits
(the state's ``PortWait`` stall) until the region grants it (``<param>_gnt``); the region's
arbiter (``rtl.arbiter``) grants the stage earliest in the region's order among those
asking, the same order for every array, so the stage first in that order that asks always
gets every port it asks for and some stage always moves.

Refuses (AlloBackendError at the stage's call) an arbitrated parameter the stage passes on
to a kernel it calls: the callee's accesses could not wait for the grant.
"""
from __future__ import annotations

from ..errors import AlloBackendError
from ..ir import nodes as ir
from ..ir.analysis import read_buffers, written_buffers


def arbitrated_params(module: ir.Module) -> dict:
    """Function name -> names of its buffer parameters that share a port with another
    stage of a dataflow region."""
    out = {}
    for f in module.functions.values():
        for s in ir.walk_stmts(f.body):
            if isinstance(s, ir.Dataflow):
                for callee, param in shared_in_region(s):
                    out.setdefault(callee.name, set()).add(param.name)
    for name, params in out.items():
        f = module.functions[name]
        for s in ir.walk_stmts(f.body):
            if isinstance(s, ir.Call) and any(isinstance(a, ir.Buffer) and a.name in params
                                              for a in s.args):
                raise AlloBackendError(
                    f"stage {name} passes an array it shares with other stages to "
                    f"{s.callee.name}; the callee cannot wait for the shared memory port",
                    s.loc, hint="access the array in the stage itself, or give the stage "
                                "its own copy")
    return out


def shared_in_region(df: ir.Dataflow) -> list:
    """(callee, parameter) pairs of arrays that more than one stage of ``df`` accesses."""
    users = {}
    for call in df.stages:
        used = read_buffers(call.callee) | written_buffers(call.callee)
        for a, p in zip(call.args, call.callee.params):
            if isinstance(a, ir.Buffer) and id(p) in used:
                users.setdefault(id(a), []).append((call.callee, p))
    return [u for group in users.values() if len(group) > 1 for u in group]
