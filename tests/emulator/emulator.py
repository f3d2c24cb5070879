"""moto server, extended to AWS's documented CloudTrail/STS behaviour, seeded with a test organization.

Run by the Rust test harness (tests/support/mod.rs):

    python emulator.py --scenario NAME

It starts moto on a free loopback port, seeds the scenario through boto3 against that port, prints
one JSON line {"endpoint": ..., "accounts": {name: id}, "units": {name: id}} and serves until stdin closes.

Where moto 5.2.5 differs from AWS (../shared/EMULATOR.md) the emulator is brought up to AWS's
behaviour here, never the other way round, so that a collector that would miss a trail in AWS also
misses it in the tests:

* ListTrails returns every trail of the account whatever its home region, plus the organization
  trails that cover the account (AWS shows those to members).
* DescribeTrails(trailNameList=[ARN, ...]) answers just the named trails, ARNs from other regions
  and the organization's trails included.
* GetTrailStatus / GetEventSelectors by ARN resolve organization trails for member accounts.
* A trail whose event selectors were never written has AWS's default selector (all management
  events, reads and writes), not [].
* GetTrailStatus reports LatestCloudWatchLogsDeliveryTime for a logging trail with a log group,
  and LatestDeliveryError when S3 delivery fails. The seed sets their age and text with the trail
  tags `emulator:cloudwatch-delivery-age-hours` and `emulator:latest-delivery-error`.
* Another account's bucket answers AccessDenied (MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false), as
  AWS does unless the bucket policy grants access.
* sts:AssumeRole is denied when the role does not exist in the target account or its trust policy
  asks for an sts:ExternalId the caller did not give.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
import warnings
import sys
from datetime import datetime, timedelta, timezone

from moto.cloudtrail import models as ct_models
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores
from moto.s3.responses import S3Response
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.responses import CloudTrailResponse
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer
from moto.sts.exceptions import STSClientError
from moto.sts.models import STSBackend

MANAGEMENT_ACCOUNT = "123456789012"
CLOUDWATCH_AGE_TAG = "emulator:cloudwatch-delivery-age-hours"
DELIVERY_ERROR_TAG = "emulator:latest-delivery-error"
DEFAULT_EVENT_SELECTOR = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}


# --- CloudTrail -------------------------------------------------------------------------------


def account_trails(account_id: str) -> list[ct_models.Trail]:
    """Every trail homed in the account, in every region."""
    backends = ct_models.cloudtrail_backends[account_id]
    return [t for region in backends.values() for t in region.trails.values()]


def organization_trails_covering(account_id: str) -> list[ct_models.Trail]:
    """Organization trails of the account's management account (AWS shows them to members)."""
    membership = organizations_backends.master_accounts.get(account_id)
    if membership is None or membership[0] == account_id:
        return []
    return [t for t in account_trails(membership[0]) if t.is_org_trail]


def visible_trails(account_id: str) -> list[ct_models.Trail]:
    return account_trails(account_id) + organization_trails_covering(account_id)


def find_trail(backend: ct_models.CloudTrailBackend, name_or_arn: str) -> ct_models.Trail:
    if name_or_arn.startswith("arn:"):
        for trail in visible_trails(backend.account_id):
            if trail.arn == name_or_arn:
                return trail
        raise TrailNotFoundException(account_id=backend.account_id, name=name_or_arn)
    return original_get_trail(backend, name_or_arn)


original_get_trail = ct_models.CloudTrailBackend.get_trail
original_trail_init = ct_models.Trail.__init__
original_put_event_selectors = ct_models.Trail.put_event_selectors
original_describe_trails = ct_models.CloudTrailBackend.describe_trails
original_trail_description = ct_models.Trail.description


def trail_init(self, *args, **kwargs):
    original_trail_init(self, *args, **kwargs)
    self.event_selectors = [dict(DEFAULT_EVENT_SELECTOR)]
    self.has_custom_event_selectors = False


def put_event_selectors(self, event_selectors, advanced_event_selectors):
    # AWS keeps basic and advanced selectors mutually exclusive: writing one kind drops the other.
    if event_selectors:
        self.event_selectors = event_selectors
        self.advanced_event_selectors = []
    elif advanced_event_selectors:
        self.event_selectors = []
        self.advanced_event_selectors = advanced_event_selectors
    self.has_custom_event_selectors = True


def trail_description(self, include_region=False):
    desc = original_trail_description(self, include_region)
    desc["HasCustomEventSelectors"] = getattr(self, "has_custom_event_selectors", False)
    desc["HasInsightSelectors"] = bool(self.insight_selectors)
    return {k: v for k, v in desc.items() if v is not None}


def describe_trails(self, include_shadow_trails):
    trails = list(original_describe_trails(self, include_shadow_trails))
    if include_shadow_trails:
        trails += organization_trails_covering(self.account_id)
    return trails


def list_trails(self):
    return visible_trails(self.account_id)


def describe_trails_response(self):
    names = self._get_param("trailNameList")
    if not names:
        return original_describe_trails_response(self)
    backend = self.cloudtrail_backend
    found = []
    for name in names:
        try:
            found.append(find_trail(backend, name))
        except TrailNotFoundException:
            pass  # AWS omits names it does not know from trailList
    return json.dumps({"trailList": [t.description(include_region=True) for t in found]})


def trail_tags(trail) -> dict:
    home = ct_models.cloudtrail_backends[trail.account_id][trail.region_name]
    tags = home.tagging_service.list_tags_for_resource(trail.arn)["TagsList"]
    return {t["Key"]: t["Value"] for t in tags}


def get_trail_status_response(self):
    backend = self.cloudtrail_backend
    name = self._get_param("Name")
    trail = find_trail(backend, name) if name.startswith("arn:") else None
    if trail is None:
        status = backend.get_trail_status(name)
        trail = next(t for t in visible_trails(backend.account_id) if t.status is status)
    desc = trail.status.description()
    tags = trail_tags(trail)
    if trail.status.is_logging and trail.cw_log_group_arn:
        age = timedelta(hours=float(tags.get(CLOUDWATCH_AGE_TAG, 0.1)))
        desc["LatestCloudWatchLogsDeliveryTime"] = (datetime.now(timezone.utc) - age).timestamp()
    if DELIVERY_ERROR_TAG in tags:
        desc["LatestDeliveryError"] = tags[DELIVERY_ERROR_TAG]
    return json.dumps(desc)


original_describe_trails_response = CloudTrailResponse.describe_trails
ct_models.Trail.__init__ = trail_init
ct_models.Trail.put_event_selectors = put_event_selectors
ct_models.Trail.description = trail_description
ct_models.CloudTrailBackend.get_trail = find_trail
ct_models.CloudTrailBackend.describe_trails = describe_trails
ct_models.CloudTrailBackend.list_trails = list_trails
CloudTrailResponse.describe_trails = describe_trails_response
CloudTrailResponse.get_trail_status = get_trail_status_response


# --- STS --------------------------------------------------------------------------------------

original_assume_role = STSBackend.assume_role


def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
    account_id = role_arn.split(":")[4]
    role_name = role_arn.split("/")[-1]
    roles = [r for r in iam_backends[account_id]["aws"].get_roles() if r.name == role_name]
    denied = STSClientError(
        "AccessDenied",
        f"User: arn:aws:sts::{self.account_id}:caller is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}",
    )
    if not roles:
        raise denied
    trust = json.loads(roles[0].assume_role_policy_document)
    for statement in trust.get("Statement", []):
        wanted = statement.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
        if wanted is not None and wanted != external_id:
            raise denied
    role = original_assume_role(
        self, region_name, role_session_name, role_arn, policy, duration, external_id
    )
    if ISSUED_CREDENTIALS is not None:  # so tests can prove no secret reaches a report or log
        secrets = [role.access_key_id, role.secret_access_key, role.session_token]
        ISSUED_CREDENTIALS.write(json.dumps(secrets) + "\n")
        ISSUED_CREDENTIALS.flush()
    return role


STSBackend.assume_role = assume_role


# --- Request log and injected faults ----------------------------------------------------------

REQUEST_LOG = None
ISSUED_CREDENTIALS = None
# Faults, armed after seeding: a share of calls throttled, (account, action) pairs denied, accounts
# whose CloudTrail answers slowly. The random generator is seeded so a run can be replayed.
THROTTLE_RATE = 0.0
DENIED: set[tuple[str, str]] = set()
ALWAYS_THROTTLED: set[tuple[str, str]] = set()
SLOW: dict[str, float] = {}
RANDOM = random.Random(20261123)
FAULTY_SERVICES = {"organizations", "sts", "cloudtrail"}
# What each service answers, in its own protocol's words.
THROTTLE_CODES = {"sts": "Throttling", "organizations": "TooManyRequestsException"}
DENY_CODES = {"sts": "AccessDenied"}

original_call_action = BaseResponse.call_action


def service_error(service: str, code: str, message: str) -> Exception:
    if service == "sts":  # query protocol: XML errors
        return STSClientError(code, message)
    return JsonRESTError(code, message)


def injected_fault(service: str, account: str, action: str) -> Exception | None:
    if service not in FAULTY_SERVICES:
        return None
    if (account, action) in DENIED:
        code = DENY_CODES.get(service, "AccessDeniedException")
        return service_error(service, code, f"not authorized to perform: {service}:{action}")
    if (account, action) in ALWAYS_THROTTLED or (
        THROTTLE_RATE and RANDOM.random() < THROTTLE_RATE
    ):
        code = THROTTLE_CODES.get(service, "ThrottlingException")
        return service_error(service, code, "Rate exceeded")
    return None


def call_action(self):
    """Record every call as one JSON line (tests count and vet them), then inject armed faults."""
    action = self._get_action()
    account = self.current_account
    fault = injected_fault(self.service_name, account, action)
    if REQUEST_LOG is not None:
        record = {
            "account": account,
            "service": self.service_name,
            "action": action,
            "region": self.region,
            "fault": type(fault).__name__ if fault else None,
            "time": round(time.time(), 4),
        }
        REQUEST_LOG.write(json.dumps(record) + "\n")
        REQUEST_LOG.flush()
    if self.service_name == "cloudtrail" and account in SLOW:
        time.sleep(SLOW[account])
    if fault is not None:

        def fail(*_args, **_kwargs):
            raise fault

        # An instance attribute shadows the handler, so moto serialises the error as AWS would.
        setattr(self, camelcase_to_underscores(action), fail)
    return original_call_action(self)


BaseResponse.call_action = call_action

original_s3_set_action = S3Response._set_action


def s3_set_action(self, resource_type, method, querystring):
    # S3 dispatches outside call_action; it names the action here, so log it here.
    original_s3_set_action(self, resource_type, method, querystring)
    if REQUEST_LOG is not None and "Action" in self.data:
        action = self.data["Action"]
        if resource_type == "BUCKET" and "publicAccessBlock" in querystring:
            # moto's action map misses the key the SDKs send and calls this ListBucket.
            action = {"GET": "GetPublicAccessBlock"}.get(method, action)
        record = {"account": self.current_account, "service": "s3", "action": action,
                  "region": self.region, "fault": None, "time": round(time.time(), 4)}
        REQUEST_LOG.write(json.dumps(record) + "\n")
        REQUEST_LOG.flush()


S3Response._set_action = s3_set_action
# AWS's default: another account's bucket answers AccessDenied unless its policy says otherwise.
os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "false"


# --- Scenarios --------------------------------------------------------------------------------


def clients(endpoint: str, region: str = "us-east-1", creds: dict | None = None):
    import boto3

    kwargs = dict(endpoint_url=endpoint, region_name=region)
    if creds:
        kwargs.update(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    else:
        kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    made = {}

    def client(service, r=region):
        # boto3 clients are slow to build: seeding hundreds of accounts reuses them.
        if (service, r) not in made:
            made[service, r] = boto3.client(service, **{**kwargs, "region_name": r})
        return made[service, r]

    return client


class Org:
    def __init__(self, endpoint: str, create: bool = True):
        self.endpoint = endpoint
        self.client = clients(endpoint)
        self.org = self.client("organizations")
        self.accounts = {"management": MANAGEMENT_ACCOUNT}
        self.units = {}
        self.members = {}
        if create:
            self.org.create_organization(FeatureSet="ALL")
            self.root_id = self.org.list_roots()["Roots"][0]["Id"]
            self.units["root"] = self.root_id

    def account(self, name: str, parent_id: str | None = None) -> str:
        status = self.org.create_account(AccountName=name, Email=f"{name}@example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]
        if parent_id:
            self.org.move_account(
                AccountId=account_id, SourceParentId=self.root_id, DestinationParentId=parent_id
            )
        self.accounts[name] = account_id
        return account_id

    def ou(self, name: str, parent_id: str | None = None) -> str:
        unit = self.org.create_organizational_unit(ParentId=parent_id or self.root_id, Name=name)
        self.units[name] = unit["OrganizationalUnit"]["Id"]
        return self.units[name]

    def inside(self, account_id: str):
        """Clients acting inside a member through the role Organizations created there."""
        if account_id == MANAGEMENT_ACCOUNT:
            return self.client
        if account_id not in self.members:
            creds = self.client("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                RoleSessionName="seed",
            )["Credentials"]
            self.members[account_id] = clients(self.endpoint, creds=creds)
        return self.members[account_id]

    def trail(
        self,
        account_id: str,
        name: str,
        region: str = "us-east-1",
        logging: bool = True,
        cloudwatch_age_hours: float | None = None,
        event_selectors: list | None = None,
        advanced_event_selectors: list | None = None,
        kms_rotation: bool | None = None,
        bucket: str = "private",
        access_logging: bool = False,
        insights: bool = False,
        sns: bool = False,
        delivery_error: str | None = None,
        **options,
    ) -> None:
        """A trail and its bucket; `bucket` is "private" (Block Public Access on), "open"
        (no block, no grants) or "public" (public-read ACL); `kms_rotation` None means no key."""
        client = self.inside(account_id)
        s3 = client("s3", region)
        log_bucket = f"{name}-{account_id}-logs"
        s3.create_bucket(
            Bucket=log_bucket,
            **(
                {"CreateBucketConfiguration": {"LocationConstraint": region}}
                if region != "us-east-1"
                else {}
            ),
        )
        if bucket == "private":
            s3.put_public_access_block(
                Bucket=log_bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        elif bucket == "public":
            s3.put_bucket_acl(Bucket=log_bucket, ACL="public-read")
        if access_logging:
            target = f"{name}-{account_id}-access-logs"
            s3.create_bucket(
                Bucket=target,
                ACL="log-delivery-write",
                **(
                    {"CreateBucketConfiguration": {"LocationConstraint": region}}
                    if region != "us-east-1"
                    else {}
                ),
            )
            s3.put_bucket_logging(
                Bucket=log_bucket,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{log_bucket}/"}
                },
            )
        tags = []
        if kms_rotation is not None:
            kms = client("kms", region)
            key = kms.create_key(Description=f"{name} trail key")["KeyMetadata"]["Arn"]
            if kms_rotation:
                kms.enable_key_rotation(KeyId=key)
            options["KmsKeyId"] = key
        if sns:
            client("sns", region).create_topic(Name=f"{name}-deliveries")
            options["SnsTopicName"] = f"{name}-deliveries"
        cloudtrail = client("cloudtrail", region)
        if cloudwatch_age_hours is not None:
            options["CloudWatchLogsLogGroupArn"] = (
                f"arn:aws:logs:{region}:{account_id}:log-group:{name}:*"
            )
            options["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{account_id}:role/{name}-to-logs"
            tags.append({"Key": CLOUDWATCH_AGE_TAG, "Value": str(cloudwatch_age_hours)})
        if delivery_error:
            tags.append({"Key": DELIVERY_ERROR_TAG, "Value": delivery_error})
        cloudtrail.create_trail(Name=name, S3BucketName=log_bucket, TagsList=tags, **options)
        if logging:
            cloudtrail.start_logging(Name=name)
        if event_selectors is not None:
            cloudtrail.put_event_selectors(TrailName=name, EventSelectors=event_selectors)
        if advanced_event_selectors is not None:
            cloudtrail.put_event_selectors(
                TrailName=name, AdvancedEventSelectors=advanced_event_selectors
            )
        if insights:
            cloudtrail.put_insight_selectors(
                TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]
            )

    def close(self, account_id: str) -> None:
        self.org.close_account(AccountId=account_id)

    def remove_audit_role(self, account_id: str) -> None:
        self.inside(account_id)("iam").delete_role(RoleName="OrganizationAccountAccessRole")

    def require_external_id(self, account_id: str, external_id: str) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
                }
            ],
        }
        self.inside(account_id)("iam").update_assume_role_policy(
            RoleName="OrganizationAccountAccessRole", PolicyDocument=json.dumps(trust)
        )


MULTI_REGION = dict(IsMultiRegionTrail=True)
# Management reads and writes, and S3 object reads and writes in every bucket.
ALL_EVENTS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
    }
]
# A trail that satisfies every rule of the catalogue.
BY_THE_BOOK = dict(
    IsMultiRegionTrail=True,
    EnableLogFileValidation=True,
    kms_rotation=True,
    access_logging=True,
    insights=True,
    sns=True,
    event_selectors=ALL_EVENTS,
)


def seed_dozen(org: Org) -> None:
    """A dozen members, each set up to decide the four seed rules one particular way."""
    workloads = org.ou("Workloads")
    prod = org.ou("Prod", workloads)

    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    org.trail(org.account("compliant", prod), "main", cloudwatch_age_hours=2, **BY_THE_BOOK)
    org.account("no-trails", prod)
    # Homed outside the region the collector calls from: moto alone would hide it.
    org.trail(org.account("regional-only", workloads), "eu-trail", region="eu-west-1",
              cloudwatch_age_hours=1, EnableLogFileValidation=True, bucket="open")
    org.trail(org.account("not-logging", workloads), "stopped", logging=False, **MULTI_REGION)
    org.trail(
        org.account("write-only"),
        "writes",
        event_selectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
        kms_rotation=False,
        **MULTI_REGION,
    )
    org.trail(
        org.account("advanced-union"),
        "advanced",
        advanced_event_selectors=[
            {
                "Name": "management reads",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                ],
            },
            {
                "Name": "management writes",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                ],
            },
        ],
        **MULTI_REGION,
    )
    org.trail(org.account("stale-cloudwatch"), "stale", cloudwatch_age_hours=48, bucket="public",
              **MULTI_REGION)
    org.trail(org.account("no-global-events"), "regional", IncludeGlobalServiceEvents=False)
    duplicate = org.account("duplicate-global")
    org.trail(duplicate, "first", delivery_error="AccessDenied", **MULTI_REGION)
    org.trail(duplicate, "second", region="ap-southeast-2", **MULTI_REGION)
    org.trail(
        org.account("data-events-only"),
        "data",
        event_selectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
        **MULTI_REGION,
    )
    org.remove_audit_role(org.account("role-missing"))
    org.close(org.account("closed"))
    org.require_external_id(org.account("external-id", prod), "orgtrail-test")


def seed_organization_trail(org: Org) -> None:
    """An organization trail in the management account covers members with no trail of their own."""
    org.trail(MANAGEMENT_ACCOUNT, "org-trail", region="eu-central-1", cloudwatch_age_hours=1,
              IsOrganizationTrail=True, **BY_THE_BOOK)
    for name in ("covered-by-org-trail", "also-covered", "covered-too"):
        org.account(name)


def seed_scale(org: Org, count: int) -> None:
    """`count` members for benchmarks: one multi-region trail, a regional trail, none, or both."""
    regions = [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
        "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-northeast-1",
        "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
        "sa-east-1",
    ]
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **MULTI_REGION)
    for i in range(count):
        account = org.account(f"member-{i:04d}")
        region = regions[i % len(regions)]
        kind = i % 4
        if kind in (0, 3):
            org.trail(account, "main", region=region, cloudwatch_age_hours=1, **MULTI_REGION)
        if kind in (1, 3):
            org.trail(account, "regional", region=regions[(i + 5) % len(regions)])


SCENARIOS = {"dozen": seed_dozen, "organization-trail": seed_organization_trail}
NO_ORGANIZATION = "no-organization"  # the caller's account alone, never joined to an organization


# --- Wide organizations and a distant endpoint ---------------------------------------------------


def seed_wide(org: Org, branching: int = 6, depth: int = 3) -> None:
    """A wide organization, as large ones are: `branching` OUs under the root and under each OU,
    `depth` levels deep (6 x 3: 258 OUs), and one member without trails in each OU of the last
    level (216), so that a scan's time is the walk of the tree and little else."""
    level = [org.root_id]
    for depth_index in range(1, depth + 1):
        level = [
            org.ou(f"L{depth_index}-{parent_index}-{i}", parent)
            for parent_index, parent in enumerate(level)
            for i in range(branching)
        ]
    for i, unit in enumerate(level):
        org.account(f"member-{i:04d}", unit)


def seed_nested_pages(org: Org) -> None:
    """Children on more than one page at two levels: ListOrganizationalUnitsForParent and
    ListAccountsForParent answer 20 to a page (moto, as AWS's MaxResults allows), and Wide holds 23
    OUs, each with one member, while Deep/Mid/Leaf holds 23 members."""
    wide = org.ou("Wide")
    for i in range(23):
        org.account(f"team-{i:02d}", org.ou(f"Team-{i:02d}", wide))
    leaf = org.ou("Leaf", org.ou("Mid", org.ou("Deep")))
    for i in range(23):
        org.account(f"leaf-{i:02d}", leaf)


SCENARIOS["wide"] = seed_wide
SCENARIOS["nested-pages"] = seed_nested_pages

LATENCY = 0.0  # seconds added to every answer once the scenario is seeded (--latency)
original_dispatch = DomainDispatcherApplication.__call__


def delayed_dispatch(self, environ, start_response):
    """Every answer leaves LATENCY after it was ready, as from a distant endpoint. Wrapping the
    WSGI application delays S3 too (its answers bypass call_action), and the request log still
    stamps each request when it arrived."""
    response = original_dispatch(self, environ, start_response)
    if LATENCY:
        time.sleep(LATENCY)
    return response


DomainDispatcherApplication.__call__ = delayed_dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted([*SCENARIOS, NO_ORGANIZATION, "scale"]),
                        required=True)
    parser.add_argument("--scale", type=int, metavar="N",
                        help="with --scenario scale: how many member accounts")
    parser.add_argument("--request-log", help="append every call made after seeding, as JSON lines")
    parser.add_argument("--throttle", type=float, default=0.0, help="share of calls throttled")
    parser.add_argument("--deny", action="append", default=[], metavar="ACCOUNT:Action",
                        help="answer AccessDenied to this action in this account (name or id)")
    parser.add_argument("--throttle-always", action="append", default=[], metavar="ACCOUNT:Action",
                        help="answer this action in this account with throttling, every time")
    parser.add_argument("--slow", action="append", default=[], metavar="ACCOUNT:SECONDS",
                        help="delay this account's CloudTrail answers")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="delay every answer by this many milliseconds once seeded")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto warns that STS has no modelled AccessDenied shape; the SDK reads the code all the same.
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    if args.scenario == NO_ORGANIZATION:
        org = Org(endpoint, create=False)
    elif args.scenario == "scale":
        org = Org(endpoint)
        seed_scale(org, args.scale or 50)
    else:
        org = Org(endpoint)
        SCENARIOS[args.scenario](org)
    global REQUEST_LOG, ISSUED_CREDENTIALS, THROTTLE_RATE
    if args.request_log:
        REQUEST_LOG = open(args.request_log, "a", encoding="utf-8")
        ISSUED_CREDENTIALS = open(args.request_log + ".credentials", "a", encoding="utf-8")
    resolve = lambda name: org.accounts.get(name, name)  # noqa: E731
    for rule in args.deny:
        account, action = rule.split(":")
        DENIED.add((resolve(account), action))
    for rule in args.throttle_always:
        account, action = rule.split(":")
        ALWAYS_THROTTLED.add((resolve(account), action))
    for rule in args.slow:
        account, seconds = rule.split(":")
        SLOW[resolve(account)] = float(seconds)
    THROTTLE_RATE = args.throttle
    global LATENCY
    LATENCY = args.latency / 1000
    print(json.dumps({"endpoint": endpoint, "accounts": org.accounts, "units": org.units}), flush=True)
    sys.stdin.read()  # serve until the harness closes our stdin (or dies)
    server.stop()


if __name__ == "__main__":
    main()
