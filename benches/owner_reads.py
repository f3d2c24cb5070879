"""The calls one scan makes of the Control Tower layout, and the bucket and key verdicts they decide.

    python3 benches/owner_reads.py [--binary PATH]

Seeds tests/emulator/emulator.py --scenario control-tower (the organization trail's bucket in the
Log Archive and its key in the management account, members without trails, a member writing to
another member's bucket and key, a member with a public bucket, a member writing outside the
organization), scans it once, and prints the emulator's count of calls by action, how many were
refused, and the verdicts of the bucket and key rules. Call counts are exact and do not vary from
run to run; no time is measured. --binary measures another build (an earlier commit's, say).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import tempfile
from pathlib import Path

from run import ORGTRAIL, Emulator, environment

RULES = ("cloudtrail-log-bucket-not-public", "cloudtrail-log-bucket-access-logging",
         "cloudtrail-kms-key-rotation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=ORGTRAIL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        emulator = Emulator(workdir, "--scenario", "control-tower")
        try:
            subprocess.run([args.binary, "-q", "scan", "--out", workdir / "scan"],
                           env=environment(emulator), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            requests = emulator.requests()
        finally:
            emulator.stop()
        report = json.loads((workdir / "scan/report.json").read_text())
    actions = collections.Counter(r["action"] for r in requests)
    refused = sum(1 for r in requests if r["fault"])
    print(f"AWS calls: {len(requests)}, refused: {refused}")
    print("by action: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))
    verdicts = collections.Counter(
        (f["rule_id"], f["status"]) for f in report["findings"] if f["rule_id"] in RULES)
    for rule in RULES:
        print(f"{rule}: " + ", ".join(
            f"{status} {verdicts[(rule, status)]}" for status in ("PASS", "FAIL", "ERROR")))


if __name__ == "__main__":
    main()
