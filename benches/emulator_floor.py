"""The emulator-bound floor for a scan: how fast the emulator answers the calls a scan needs.

    python benches/emulator_floor.py ENDPOINT REQUEST_LOG [--concurrency 32]

Replays, against a seeded emulator, the calls an orgtrail scan makes (GetCallerIdentity,
DescribeOrganization, the walk of the organization's tree, then for every account AssumeRole, ListTrails,
DescribeTrails, GetTrailStatus and GetEventSelectors per trail in its home region, and the five
S3 reads per log bucket), from a minimal client: raw HTTP on keep-alive
connections, no SDK, no evaluation, no reports. One moto process answers on one core (Python's
GIL), so this measures the emulator, not the client. Prints one JSON line: calls, seconds, rate.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
CALLER_KEY = "testing"

local = threading.local()


def connection(host: str, port: int) -> http.client.HTTPConnection:
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(host, port, timeout=60)
    return local.conn


def post(endpoint, body: bytes, headers: dict) -> bytes:
    host, port = endpoint
    for attempt in range(2):
        conn = connection(host, port)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {data[:200]!r}")
            return data
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            del local.conn
            if attempt:
                raise
    raise AssertionError("unreachable")


def auth(key: str, region: str, service: str) -> str:
    # moto reads the account from the key and the service from the scope; it checks no signature.
    scope = f"{key}/20260101/{region}/{service}/aws4_request"
    return f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"


def cloudtrail(endpoint, creds: dict, region: str, action: str, payload: dict) -> dict:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET + action,
        "Authorization": auth(creds["key"], region, "cloudtrail"),
    }
    if creds.get("token"):
        headers["X-Amz-Security-Token"] = creds["token"]
    return json.loads(post(endpoint, json.dumps(payload).encode(), headers))


def assume_role(endpoint, account_id: str) -> dict:
    body = urllib.parse.urlencode(
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
            "RoleSessionName": "floor",
        }
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": auth(CALLER_KEY, "us-east-1", "sts"),
    }
    xml = post(endpoint, body, headers).decode()
    pick = lambda tag: re.search(f"<{tag}>([^<]+)</{tag}>", xml).group(1)  # noqa: E731
    return {"key": pick("AccessKeyId"), "token": pick("SessionToken")}


def organizations(endpoint, action: str, payload: dict) -> dict:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSOrganizationsV20161128." + action,
        "Authorization": auth(CALLER_KEY, "us-east-1", "organizations"),
    }
    return json.loads(post(endpoint, json.dumps(payload).encode(), headers))


def list_parent(endpoint, parent: str) -> tuple[int, list[str]]:
    """A parent's accounts and its child OUs, page by page: the calls made and the child OUs."""
    calls, children = 0, []
    for action, key in (("ListAccountsForParent", "Accounts"),
                        ("ListOrganizationalUnitsForParent", "OrganizationalUnits")):
        token = None
        while True:
            request = {"ParentId": parent, **({"NextToken": token} if token else {})}
            page = organizations(endpoint, action, request)
            calls += 1
            if action == "ListOrganizationalUnitsForParent":
                children += [unit["Id"] for unit in page[key]]
            token = page.get("NextToken")
            if not token:
                break
    return calls, children


def discover(endpoint, pool: ThreadPoolExecutor) -> int:
    """The scan's opening calls, one after the other as they must be: identity, organization,
    roots; then the walk of the tree, every parent of a level at once."""
    body = urllib.parse.urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": auth(CALLER_KEY, "us-east-1", "sts"),
    }
    post(endpoint, body.encode(), headers)
    organizations(endpoint, "DescribeOrganization", {})
    level = [organizations(endpoint, "ListRoots", {})["Roots"][0]["Id"]]
    calls = 3
    while level:
        listed = list(pool.map(lambda parent: list_parent(endpoint, parent), level))
        calls += sum(made for made, _ in listed)
        level = [child for _, children in listed for child in children]
    return calls


def s3_get(endpoint, creds: dict, bucket: str, query: str) -> bytes:
    host, port = endpoint
    conn = connection(host, port)
    headers = {"Authorization": auth(creds["key"], "us-east-1", "s3")}
    if creds.get("token"):
        headers["X-Amz-Security-Token"] = creds["token"]
    conn.request("GET", f"/{bucket}?{query}", headers=headers)
    response = conn.getresponse()
    return response.read()  # errors (no public access block, no policy) count as answers


def audit(endpoint, account_id: str, caller: str) -> int:
    creds = {"key": CALLER_KEY} if account_id == caller else assume_role(endpoint, account_id)
    calls = 0 if account_id == caller else 1
    listed = cloudtrail(endpoint, creds, "us-east-1", "ListTrails", {})["Trails"]
    calls += 1
    if not listed:
        return calls
    arns = [t["TrailARN"] for t in listed]
    described = cloudtrail(endpoint, creds, "us-east-1", "DescribeTrails", {"trailNameList": arns})
    calls += 1
    for bucket in {t["S3BucketName"] for t in described["trailList"] if t.get("S3BucketName")}:
        for query in ("location", "publicAccessBlock", "policyStatus", "acl", "logging"):
            s3_get(endpoint, creds, bucket, query)
            calls += 1
    for trail in listed:
        region = trail["HomeRegion"]
        cloudtrail(endpoint, creds, region, "GetTrailStatus", {"Name": trail["TrailARN"]})
        cloudtrail(endpoint, creds, region, "GetEventSelectors", {"TrailName": trail["TrailARN"]})
        calls += 2
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("accounts", help="JSON file: the emulator's start-up line")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.endpoint)
    endpoint = (url.hostname, url.port)
    accounts = list(json.load(open(args.accounts))["accounts"].values())
    caller = "123456789012"
    started = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        calls = discover(endpoint, pool)
        calls += sum(pool.map(lambda a: audit(endpoint, a, caller), accounts))
    seconds = time.monotonic() - started
    print(json.dumps({"calls": calls, "seconds": round(seconds, 3), "rate": round(calls / seconds, 1)}))


if __name__ == "__main__":
    main()
