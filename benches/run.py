"""orgtrail's benchmarks: prints the figures BENCHMARKS.md quotes, as Markdown.

    python3 benches/run.py [--runs 5] [--sizes 50,200] [--wide-runs 5] [--walk-width N]
                           [--offline-accounts 10000] [--offline-formats default,xlsx,...]
                           [--binary PATH] [--against PATH]

(`--sizes ""` skips the emulator scans and measures only `orgtrail report` offline.)

Needs the emulator's venv (target/moto-venv, as `cargo test` or .ci/run installs it) and GNU time
(/usr/bin/time). Builds the release binary and the synthetic inventory generator first.

Figures, each the median of --runs runs on a freshly seeded emulator:
* scan of a seeded organization (17 regions, members with zero, one or two trails) at
  --concurrency 32: wall time, CPU seconds, peak RSS, AWS calls (from the emulator's request log)
  and calls per member account by number of trails;
* the emulator-bound floor for the same organization: benches/emulator_floor.py replaying the same
  calls from a minimal client at the same concurrency, and the ratio scan / floor;
* scan of a wide organization (tests/emulator/emulator.py --scenario wide: 216 members without
  trails, one in each leaf of a tree of 258 OUs, 6 wide and 3 deep) with --wide-latency-ms added to
  every answer, at --concurrency 32: wall time, the time until the first CloudTrail call, AWS calls,
  and the ratio of wall time to its bound max(calls / emulator rate, calls x latency / 32), the
  emulator's rate measured by benches/emulator_floor.py on the same organization without latency;
* `orgtrail report` on a synthetic inventory of --offline-accounts accounts x 17 regions, all four
  default formats, then xlsx, ocsf and sarif,junit alone: wall time and peak RSS.

Zero runs, no sizes or zero offline accounts leave that part out; --binary measures another build
of orgtrail (an earlier commit's, say) with this driver. --against PATH measures `orgtrail report`
offline side by side with another build: the two alternate run by run, each run a pair, and the
ratio this / that is the median of the pairs' ratios. --walk-width passes --walk-width to the wide
organization's scan.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / "target/moto-venv/bin/python"
ORGTRAIL = REPO / "target/release/orgtrail"
GENERATOR = REPO / "target/release/examples/synthetic_inventory"


def timed(command: list, env: dict | None = None, stdout=subprocess.DEVNULL) -> dict:
    """Run under GNU time; wall and CPU seconds, peak RSS in MB, exit code."""
    with tempfile.NamedTemporaryFile("r") as out:
        status = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", out.name, *map(str, command)],
            env=env, stdout=stdout, stderr=subprocess.DEVNULL,
        ).returncode
        wall, user, system, rss_kb = out.read().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(system),
            "rss_mb": int(rss_kb) / 1024, "exit": status}


class Emulator:
    def __init__(self, workdir: Path, *scenario: str):
        self.log = workdir / f"requests-{time.monotonic_ns()}.jsonl"
        self.process = subprocess.Popen(
            [PYTHON, REPO / "tests/emulator/emulator.py", *scenario, "--request-log", self.log],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.started = json.loads(self.process.stdout.readline())
        self.endpoint = self.started["endpoint"]
        self.startup = workdir / "emulator.json"
        self.startup.write_text(json.dumps(self.started))

    def requests(self) -> list:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stop(self):
        self.process.stdin.close()
        self.process.kill()
        self.process.wait()


def scale(size: int) -> list:
    return ["--scenario", "scale", "--scale", str(size)]


def environment(emulator: Emulator) -> dict:
    return {**os.environ, "AWS_ENDPOINT_URL": emulator.endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def scan_once(size: int, workdir: Path) -> dict:
    emulator = Emulator(workdir, *scale(size))
    try:
        out = workdir / "scan"
        figures = timed([ORGTRAIL, "-q", "scan", "--concurrency", "32", "--out", out],
                        env=environment(emulator))
        requests = emulator.requests()
        inventory = json.loads((out / "inventory.json").read_text())
    finally:
        emulator.stop()
    cloudtrail = collections.Counter(r["account"] for r in requests
                                     if r["service"] == "cloudtrail" and r["action"] != "LookupEvents")
    resources = collections.Counter(r["account"] for r in requests if r["service"] in ("s3", "kms"))
    by_trails = collections.defaultdict(list)
    for account in inventory["accounts"]:
        account_id = account["account"]["id"]
        if account_id == "123456789012":
            continue
        # The member's own calls, plus the AssumeRole that opened it: (seed rules, whole catalogue).
        seed = cloudtrail[account_id] + 1
        by_trails[len(account["trails"])].append((seed, seed + resources[account_id]))
    figures["calls"] = len(requests)
    figures.update(lookup_figures(requests))
    figures["accounts"] = len(inventory["accounts"])
    figures["calls_per_member"] = {
        n: "{}/{}".format(*max(calls)) for n, calls in sorted(by_trails.items())
    }
    return figures


def floor_once(workdir: Path, *scenario: str) -> dict:
    emulator = Emulator(workdir, *scenario)
    try:
        output = subprocess.run(
            [PYTHON, REPO / "benches/emulator_floor.py", emulator.endpoint, emulator.startup,
             "--concurrency", "32"],
            check=True, capture_output=True, text=True,
        ).stdout
    finally:
        emulator.stop()
    return json.loads(output)


def lookup_figures(requests: list) -> dict:
    """LookupEvents in all, the most one account made, and the most in one account-region: one
    per quiet region (CloudTrail's event source on one page), 1 + 7 in a busy one."""
    lookups = [r for r in requests if r["action"] == "LookupEvents"]
    per_account = collections.Counter(r["account"] for r in lookups)
    per_region = collections.Counter((r["account"], r["region"]) for r in lookups)
    return {"lookups": len(lookups),
            "lookups_per_member": max(per_account.values(), default=0),
            "lookups_per_region": max(per_region.values(), default=0)}


def wide_once(workdir: Path, latency_ms: float, walk_width: int | None = None) -> dict:
    """One scan of the wide organization with every answer delayed by `latency_ms`."""
    emulator = Emulator(workdir, "--scenario", "wide", "--latency", str(latency_ms))
    width = ["--walk-width", str(walk_width)] if walk_width else []
    try:
        out = workdir / "wide"
        started = time.time()
        figures = timed([ORGTRAIL, "-q", "scan", "--concurrency", "32", *width, "--out", out],
                        env=environment(emulator))
        requests = emulator.requests()
        inventory = json.loads((out / "inventory.json").read_text())
    finally:
        emulator.stop()
    if figures["exit"] != 0:
        sys.exit(f"the wide scan exited {figures['exit']}")
    figures.update(lookup_figures(requests))
    figures["accounts"] = len(inventory["accounts"])
    # The request log stamps each request as it arrives, before its latency.
    figures["first_cloudtrail"] = min(
        r["time"] for r in requests if r["service"] == "cloudtrail") - started
    figures["calls"] = len(requests)
    return figures


def offline(formats: str, inventory: Path, workdir: Path, runs: int, accounts: int,
            against: Path | None) -> None:
    """`orgtrail report` of `formats` (`default`: its default ones), `runs` times; with `against`,
    each run a pair with the other build, alternating which goes first."""
    chosen = [] if formats == "default" else ["--format", formats]
    out = workdir / f"report-{formats}"

    def report(binary: Path) -> dict:
        return timed([binary, "-q", "report", *chosen, "--inventory", inventory, "--out", out])

    label = "html+csv+md+json" if formats == "default" else f"`--format {formats}`"
    ours, theirs = [], []
    for run in range(runs):
        if against and run % 2:
            theirs.append(report(against))
        ours.append(report(ORGTRAIL))
        if against and not run % 2:
            theirs.append(report(against))
    for name, results in (("", ours), (f", {against}", theirs)):
        if not results:
            continue
        walls = [r["wall"] for r in results]
        print(f"| `orgtrail report`{name}, {accounts} accounts x 17 regions, {label} "
              f"| {median(results, 'wall'):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
              f"| {median(results, 'cpu'):.2f} | {median(results, 'rss_mb'):.0f} |")
    if theirs:
        wall = statistics.median(a["wall"] / b["wall"] for a, b in zip(ours, theirs))
        cpu = statistics.median(a["cpu"] / b["cpu"] for a, b in zip(ours, theirs))
        print(f"| ratio this / that ({runs} pairs, alternating), {label} | {wall:.2f} | {cpu:.2f} | |")


# LookupEvents: 2 requests per second per account and region (API reference); orgtrail reads the
# regions of an account in parallel and one region's lookups in turn.
LOOKUP_LIMIT_PER_SECOND = 2
CONCURRENCY = 32


def history_bound(scan: dict, rate: float, latency: float = 0.0) -> float:
    """The least time the period's history can take: the lookups of the busiest account-region in
    turn at the rate limit (or the latency, if slower), times the waves of accounts --concurrency
    allows; or every call at the emulator's rate, whichever is longer. One lookup per region when
    every region is quiet (issue 22's adaptive read), 1 + 7 where one is busy."""
    per_region = scan.get("lookups_per_region") or 1
    waves = -(-scan["accounts"] // CONCURRENCY)
    paced = waves * per_region * max(1 / LOOKUP_LIMIT_PER_SECOND, latency)
    return max(paced, scan["calls"] / rate)


def median(runs: list, key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    global ORGTRAIL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--wide-runs", type=int, default=5)
    parser.add_argument("--wide-latency-ms", type=float, default=200)
    parser.add_argument("--walk-width", type=int, help="--walk-width of the wide scan [default: orgtrail's]")
    parser.add_argument("--offline-accounts", type=int, default=10_000)
    parser.add_argument("--offline-formats", default="default;xlsx;ocsf;sarif,junit",
                        help="what each offline report writes, `default` for its default formats "
                             "(a comma inside a set: sarif,junit is one set; sets by ';')")
    parser.add_argument("--against", type=Path,
                        help="another orgtrail binary to measure offline, alternating with this one")
    parser.add_argument("--binary", type=Path, default=ORGTRAIL,
                        help="the orgtrail binary to measure [default: this tree's release build]")
    args = parser.parse_args()
    ORGTRAIL = args.binary.resolve()

    # Another build given and no offline part (which needs the release generator): nothing to build.
    if args.binary == ORGTRAIL or args.offline_accounts:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bins", "--examples"], cwd=REPO,
                       check=True)
    print(f"Machine: {os.cpu_count()} cores; {args.runs} runs each, medians (min-max).\n")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sizes = [int(size) for size in args.sizes.split(",") if size]
        if sizes:
            print("| organization | scan wall s | floor s | scan / floor | scan CPU s | scan peak RSS MB "
                  "| AWS calls | calls per member with 0, 1, 2 trails (CloudTrail+STS / with bucket reads) "
                  "| LookupEvents (per member; most in one region) | history bound s |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for size in sizes:
            scans, floors, ratios = [], [], []
            for run in range(args.runs):
                # Alternate which goes first, so drift of the machine does not favour either.
                if run % 2:
                    floor = floor_once(workdir, *scale(size))
                    scan = scan_once(size, workdir)
                else:
                    scan = scan_once(size, workdir)
                    floor = floor_once(workdir, *scale(size))
                scans.append(scan)
                floors.append(floor)
                ratios.append(scan["wall"] / floor["seconds"])
            walls = [s["wall"] for s in scans]
            per_member = scans[0]["calls_per_member"]
            print(
                f"| {size} members + management | {median(scans, 'wall'):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
                f"| {median(floors, 'seconds'):.2f} ({median(floors, 'rate'):.0f} calls/s) "
                f"| {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) "
                f"| {median(scans, 'cpu'):.2f} | {median(scans, 'rss_mb'):.0f} "
                f"| {scans[0]['calls']} | {', '.join(str(per_member.get(n, '-')) for n in (0, 1, 2))} "
                f"| {scans[0]['lookups']} ({scans[0]['lookups_per_member']}; "
                f"{scans[0]['lookups_per_region']}) "
                f"| {history_bound(scans[0], median(floors, 'rate')):.2f} |"
            )

        if args.wide_runs:
            latency = args.wide_latency_ms / 1000
            print(f"\n| wide organization, {args.wide_latency_ms:.0f} ms per answer | scan wall s "
                  "| before the first CloudTrail call s | AWS calls | emulator rate calls/s "
                  "| bound s | scan / bound | LookupEvents (per member; most in one region) |\n"
                  "| --- | --- | --- | --- | --- | --- | --- | --- |")
            scans, ratios = [], []
            for _ in range(args.wide_runs):
                scan = wide_once(workdir, args.wide_latency_ms, args.walk_width)
                rate = floor_once(workdir, "--scenario", "wide")["rate"]
                scan["rate"] = rate
                scan["bound"] = max(scan["calls"] / rate, scan["calls"] * latency / 32,
                                    history_bound(scan, rate, latency))
                scans.append(scan)
                ratios.append(scan["wall"] / scan["bound"])
            walls = [s["wall"] for s in scans]
            width = f", --walk-width {args.walk_width}" if args.walk_width else ""
            print(f"| 216 members under 258 OUs (6 x 3) + management{width} "
                  f"| {median(scans, 'wall'):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
                  f"| {median(scans, 'first_cloudtrail'):.2f} | {median(scans, 'calls'):.0f} "
                  f"| {median(scans, 'rate'):.0f} | {median(scans, 'bound'):.2f} "
                  f"| {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) "
                  f"| {scans[0]['lookups']} ({scans[0]['lookups_per_member']}; "
                  f"{scans[0]['lookups_per_region']}) |")

        if not args.offline_accounts:
            return
        inventory = workdir / "inventory.json"
        with inventory.open("w") as out:
            subprocess.run([GENERATOR, str(args.offline_accounts)], stdout=out, check=True)
        print(f"\n| offline | wall s | CPU s | peak RSS MB |\n| --- | --- | --- | --- |")
        for formats in args.offline_formats.split(";"):
            offline(formats, inventory, workdir, args.runs, args.offline_accounts, args.against)
        sizes = {p.name: p.stat().st_size / 1e6
                 for d in workdir.glob("report-*") for p in d.iterdir()
                 if not p.name.startswith("manifest")}
        print("\nReport sizes (MB): " + ", ".join(f"{n} {s:.1f}" for n, s in sorted(sizes.items())))


if __name__ == "__main__":
    sys.exit(main())
