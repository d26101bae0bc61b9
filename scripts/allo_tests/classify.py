"""Group the failures of a results directory (junit XML per file) by cause."""
import collections, glob, re, sys
import xml.etree.ElementTree as ET

RULES = [
    ("Allo HLS C++ backend (vhls/vitis_hls...; out of scope)", r"one of Allo's HLS C\+\+ backends|hls_code|generates HLS C\+\+ for a vendor tool"),
    ("assertion on Allo's MLIR/HLS text (out of scope)", r"^(>\s+|AssertionError: )?assert .*(' in |\" in |\.count\()|has no attribute 'operation'|memref<|affine|HLS bind_storage"),
    ("slow: > timeout (cycle-accurate Amaranth simulation)", r"SlowTest"),
    ("float exp/log/tanh/sin... in hardware (floating-point issue)", r"\(\) on (floats|b?float\d+)\b.*not supported in hardware"),
    ("illegal schedule refused (Allo accepts it unchecked)", r"AlloScheduleError: .*(iterations of .* depend|would change results|would run in another order)"),
    ("argument outside its type's range refused (mod(..., wrap=True) wraps)", r"AlloArgumentError: .*outside \S+'s range"),
    ("float16/bfloat16/float64 in hardware (floating-point issue)", r"(float16|bfloat16|float64) is not supported in hardware"),
    ("streams/dataflow in hardware (dataflow issue)", r"streams and dataflow regions run on the interpreter|stream of blocks .* not supported in hardware"),
    ("Allo refuses what allo-rtl accepts (expects SystemExit)", r"DID NOT RAISE"),
    ("instantiate= on a kernel that is not a template (refused; Allo ignores it)", r"is not a template; instantiate= is not needed"),
    ("missing module/name", r"ModuleNotFoundError|ImportError|cannot import name|has no attribute"),
]


def cause(msg):
    for name, rx in RULES:
        if re.search(rx, msg, re.M):
            return name
    return "other: " + msg.splitlines()[0][:160] if msg else "other"


def main(d):
    groups = collections.defaultdict(list)
    for x in sorted(glob.glob(f"{d}/*.xml")):
        root = ET.parse(x).getroot()
        for tc in root.iter("testcase"):
            for tag in ("failure", "error"):
                el = tc.find(tag)
                if el is not None:
                    msg = (el.get("message") or "") + "\n" + (el.text or "")[-3000:]
                    name = f"{tc.get('file') or tc.get('classname')}::{tc.get('name')}"
                    groups[cause(msg)].append(name)
    for g, tests in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(tests):4d}  {g}")
        for t in tests:
            print(f"        {t}")


main(sys.argv[1])
