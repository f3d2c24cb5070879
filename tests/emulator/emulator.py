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
  asks for an sts:ExternalId the caller did not give. The secret keys and session tokens it
  issues contain `/` and `+`, as AWS's base64 ones do.

Faults are armed after seeding (--throttle, --server-errors, --drops, --deny, ...) on every
service orgtrail calls, each answered in the service's own words and serialised by moto:
throttling as the service names it (S3's 503 SlowDown, STS's Throttling, ...), a 500 internal
error, or a connection closed without an answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import socket
import string
import threading
import re
import time
import warnings
import sys
from datetime import datetime, timedelta, timezone

from moto.cloudtrail import models as ct_models
from moto.core import serialize as moto_serialize
from moto.core.errors import ErrorShape
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores
from moto.s3.exceptions import S3ClientError
from moto.s3.responses import S3Response
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.responses import CloudTrailResponse
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.organizations.models import FakeDelegatedAdministrator, organizations_backends
from moto.organizations.responses import OrganizationsResponse
from moto.server import ThreadedMotoServer
from moto.sts.exceptions import STSClientError
from moto.sts.models import STSBackend

MANAGEMENT_ACCOUNT = "123456789012"
# What the external-id member's trust policy asks for (--external-id).
EXTERNAL_ID = "orgtrail-test"
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


# Ages of the last CloudWatch Logs delivery count back from when the emulator started, not from
# each call: two scans of one emulated organization then read the same times.
DELIVERED_BEFORE = datetime.now(timezone.utc)


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
        desc["LatestCloudWatchLogsDeliveryTime"] = (DELIVERED_BEFORE - age).timestamp()
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
    # moto issues alphanumeric ones; AWS's are base64 text, whose `/` and `+` are escaped in
    # HTML and some JSON, where a leak check searching for the raw text would miss them.
    role.secret_access_key = base64_like(40)
    role.session_token = base64_like(356)
    if ISSUED_CREDENTIALS is not None:  # so tests can prove no secret reaches a report or log
        secrets = [role.access_key_id, role.secret_access_key, role.session_token]
        ISSUED_CREDENTIALS.write(json.dumps(secrets) + "\n")
        ISSUED_CREDENTIALS.flush()
    return role


STSBackend.assume_role = assume_role

BASE64 = string.ascii_letters + string.digits + "+/"


def base64_like(length: int) -> str:
    """Random base64 text with a `/` and a `+` in it."""
    text = "".join(random.choice(BASE64) for _ in range(length - 2))
    return text[: length // 3] + "/" + text[length // 3 :] + "+"


# --- Request log and injected faults ----------------------------------------------------------

REQUEST_LOG = None
ISSUED_CREDENTIALS = None
# Faults, armed after seeding: shares of calls throttled, answered with a 500 or dropped,
# (account, action) pairs denied or always throttled, accounts whose CloudTrail answers slowly.
# The random generator is seeded so a run can be replayed.
THROTTLE_RATE = 0.0
SERVER_ERROR_RATE = 0.0
DROP_RATE = 0.0
# At most this many faults in a row for one request (None: no limit), so that a client allowed
# one attempt more always gets through: a storm at the SDK's default of 5 attempts uses 4.
MAX_FAULTS_IN_A_ROW: int | None = None
FAULTS_IN_A_ROW: dict[tuple, int] = {}
# With --each-fault-first, the first request to each service meets every kind of fault in turn
# before the rates apply, so that every service is seen to survive each kind, whatever the draws.
EACH_FAULT_FIRST = False
FAULT_KINDS = ("throttling", "server-error", "dropped")
FIRST_REQUEST: dict[str, tuple] = {}
FIRST_REQUEST_FAULTS: dict[str, int] = {}
FAULT_LOCK = threading.Lock()
DENIED: set[tuple[str, str]] = set()
ALWAYS_THROTTLED: set[tuple[str, str]] = set()
SLOW: dict[str, float] = {}
RANDOM = random.Random(20261123)
FAULTY_SERVICES = {"organizations", "sts", "cloudtrail", "s3", "kms"}
# What each service answers, in its own protocol's words: (code, HTTP status). STS answers
# Throttling, Organizations TooManyRequestsException, CloudTrail and KMS ThrottlingException
# (the KMS developer guide, "Throttling AWS KMS requests": 400), S3 503 SlowDown and 500
# InternalError (the S3 user guide, "Amazon S3 error best practices"); others AWS's common
# 500 InternalFailure.
THROTTLE_CODES = {
    "sts": ("Throttling", 400),
    "organizations": ("TooManyRequestsException", 400),
    "s3": ("SlowDown", 503),
}
SERVER_ERROR_CODES = {"s3": ("InternalError", 500)}
DENY_CODES = {"sts": "AccessDenied"}
DROP = "connection closed without an answer"

original_call_action = BaseResponse.call_action
original_setup_class = BaseResponse.setup_class


def setup_class(self, request, *args, **kwargs):
    # Kept for the faults: a retry is recognised by its request, a connection dropped by its socket.
    self.emulator_request = request
    original_setup_class(self, request, *args, **kwargs)


BaseResponse.setup_class = setup_class


class InjectedFault(S3ClientError):
    """An error answer moto serialises in the service's protocol (an S3ClientError, so that S3's
    handlers catch it too), with the HTTP status AWS gives it."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(code, message)
        self.http_status = status


original_get_error_model = moto_serialize.get_error_model


def get_error_model(exception, service_model):
    # moto takes an error's HTTP status from the service model, and 400 for a code the model
    # does not list (SlowDown, InternalFailure): give the injected ones their own.
    shape = original_get_error_model(exception, service_model)
    status = getattr(exception, "http_status", None)
    if status is None:
        return shape
    return ErrorShape(
        shape_name=exception.code,
        shape_model={
            "exception": True,
            "fault": status >= 500,
            "type": "structure",
            "members": {},
            "error": {"code": exception.code, "httpStatusCode": status},
        },
    )


moto_serialize.get_error_model = get_error_model


def service_error(service: str, code: str, message: str) -> Exception:
    if service == "sts":  # query protocol: XML errors
        return STSClientError(code, message)
    return JsonRESTError(code, message)


def storm_fault(request_key: tuple) -> str | None:
    """What the armed rates make of this request: "throttling", "server-error", "dropped" or
    None. Retries of a request carry the same key."""
    if not (THROTTLE_RATE or SERVER_ERROR_RATE or DROP_RATE or EACH_FAULT_FIRST):
        return None
    with FAULT_LOCK:
        in_a_row = FAULTS_IN_A_ROW.get(request_key, 0)
        kind = None
        service = request_key[0]
        sequenced = FIRST_REQUEST_FAULTS.get(service, 0)
        if (
            EACH_FAULT_FIRST
            and FIRST_REQUEST.setdefault(service, request_key) == request_key
            and sequenced < len(FAULT_KINDS)
        ):
            kind = FAULT_KINDS[sequenced]
            FIRST_REQUEST_FAULTS[service] = sequenced + 1
        elif MAX_FAULTS_IN_A_ROW is None or in_a_row < MAX_FAULTS_IN_A_ROW:
            draw = RANDOM.random()
            for name, rate in (
                ("throttling", THROTTLE_RATE),
                ("server-error", SERVER_ERROR_RATE),
                ("dropped", DROP_RATE),
            ):
                if draw < rate:
                    kind = name
                    break
                draw -= rate
        if kind is None:
            FAULTS_IN_A_ROW.pop(request_key, None)
        else:
            FAULTS_IN_A_ROW[request_key] = in_a_row + 1
    return kind


def injected_fault(service: str, account: str, action: str, request) -> tuple[str, object] | None:
    """(kind, answer) for an armed fault: the answer an exception to raise, or DROP."""
    if service not in FAULTY_SERVICES:
        return None
    if (account, action) in DENIED:
        code = DENY_CODES.get(service, "AccessDeniedException")
        message = f"not authorized to perform: {service}:{action}"
        return "denied", service_error(service, code, message)
    if (account, action) in ALWAYS_THROTTLED:
        kind = "throttling"
    else:
        # One call and its retries: the SDK sends the same amz-sdk-invocation-id with every
        # attempt of a call ("a UUID ... attached to all request attempts made as part of this
        # operation", aws-runtime's InvocationIdInterceptor). The request's bytes are not enough:
        # LookupEvents in 17 regions at once send the same body, so their faults counted as one
        # call's and a call could meet more than --faults-in-a-row (the storm test's flake).
        invocation = request.headers.get("amz-sdk-invocation-id")
        if invocation:
            key = (service, account, invocation)
        else:
            key = (service, account, request.method, request.full_path, request.get_data())
        kind = storm_fault(key)
    if kind == "throttling":
        code, status = THROTTLE_CODES.get(service, ("ThrottlingException", 400))
        return kind, InjectedFault(code, "Rate exceeded", status)
    if kind == "server-error":
        code, status = SERVER_ERROR_CODES.get(service, ("InternalFailure", 500))
        return kind, InjectedFault(code, "We encountered an internal error. Try again.", status)
    if kind == "dropped":
        return kind, DROP
    return None


def drop_connection(request) -> None:
    # The client sees its connection closed before any answer. moto's answer, written
    # afterwards, meets a closed socket, which werkzeug takes quietly for a client gone.
    request.environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)


def log_request(account: str, service: str, action: str, region: str, fault,
                lookup_attribute: str | None = None) -> None:
    kind, answer = fault if fault else (None, None)
    record = {
        "account": account,
        "service": service,
        "action": action,
        "region": region,
        # The error code answered instead, or DROP; and which kind of fault that was.
        # A RESTError keeps its code as error_type (its `code` is the HTTP status).
        "fault": None if answer is None else getattr(answer, "error_type", None) or getattr(answer, "code", answer),
        "fault_kind": kind,
        "time": round(time.time(), 4),
        # Tree listings received and not yet answered when this one arrived, itself included
        # (section "Listings in flight" below); None for other calls.
        "listings_in_flight": getattr(LISTINGS, "in_flight_at_arrival", None),
        # For a LookupEvents: its one lookup attribute, "Key=Value" (None when it has none).
        "lookup_attribute": lookup_attribute,
    }
    with FAULT_LOCK:
        REQUEST_LOG.write(json.dumps(record) + "\n")
        REQUEST_LOG.flush()


def lookup_attribute_of(response) -> str | None:
    """A LookupEvents request's lookup attribute as "Key=Value", for the request log."""
    try:
        attributes = json.loads(response.body or "{}").get("LookupAttributes") or []
    except ValueError:
        return None
    return ",".join(f"{a.get('AttributeKey')}={a.get('AttributeValue')}" for a in attributes) or None


def answer_with(fault, request) -> Exception | None:
    """Carry out an injected fault: drop the connection, or give the exception to raise."""
    if fault is None:
        return None
    if fault[1] is DROP:
        drop_connection(request)
        return None
    return fault[1]


def call_action(self):
    """Record every call as one JSON line (tests count and vet them), then inject armed faults."""
    action = self._get_action()
    account = self.current_account
    fault = None
    if REQUEST_LOG is not None:
        fault = injected_fault(self.service_name, account, action, self.emulator_request)
        log_request(account, self.service_name, action, self.region, fault,
                    lookup_attribute_of(self) if action == "LookupEvents" else None)
    if self.service_name == "cloudtrail" and account in SLOW:
        time.sleep(SLOW[account])
    error = answer_with(fault, getattr(self, "emulator_request", None))
    if error is not None:

        def fail(*_args, **_kwargs):
            raise error

        # An instance attribute shadows the handler, so moto serialises the error as AWS would.
        setattr(self, camelcase_to_underscores(action), fail)
    return original_call_action(self)


BaseResponse.call_action = call_action

original_s3_set_action = S3Response._set_action


def s3_set_action(self, resource_type, method, querystring):
    # S3 dispatches outside call_action; it names the action here, so log it here, and inject
    # its faults here: the handlers that call this answer an S3ClientError in S3's XML.
    original_s3_set_action(self, resource_type, method, querystring)
    if REQUEST_LOG is not None and "Action" in self.data:
        action = self.data["Action"]
        if resource_type == "BUCKET" and "publicAccessBlock" in querystring:
            # moto's action map misses the key the SDKs send and calls this ListBucket.
            action = {"GET": "GetPublicAccessBlock"}.get(method, action)
        fault = injected_fault("s3", self.current_account, action, self.emulator_request)
        log_request(self.current_account, "s3", action, self.region, fault)
        error = answer_with(fault, self.emulator_request)
        if error is not None:
            raise error

S3Response._set_action = s3_set_action

# AWS's default: another account's bucket answers AccessDenied unless its policy says otherwise.
os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "false"


# --- Partial answers, opt-in regions, organization trails, delegated administrators -----------
# (issue 14). Each patch wraps what is above rather than editing it; each cites what AWS does.

# A member's GetTrailStatus / GetEventSelectors on another account's trail ARN (the management
# account's organization trail) is refused: "CloudTrailARNInvalidException: AccountID in ARN is
# wrong, you can only access resources with AccountID <caller>." (turbot/steampipe-plugin-aws#577;
# Cloud Custodian PR #6394 review: "this api call will fail for an organization trail from a
# different account"; HTTP 400 per the CloudTrail API Reference error list). DescribeTrails and
# ListTrails still show the trail to members, as AWS documents
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html).
class CloudTrailARNInvalidException(JsonRESTError):
    code = 400

    def __init__(self, caller: str):
        super().__init__(
            "CloudTrailARNInvalidException",
            f"AccountID in ARN is wrong, you can only access resources with AccountID {caller}.",
        )


def refuse_foreign_arn(response) -> None:
    name = response._get_param("Name") or response._get_param("TrailName") or ""
    if name.startswith("arn:") and name.split(":")[4] != response.current_account:
        raise CloudTrailARNInvalidException(response.current_account)


# LatestCloudWatchLogsDeliveryError next to a delivery time: the seed sets it with this tag
# (GetTrailStatus documents the field: "Displays any CloudWatch Logs error that CloudTrail
# encountered when attempting to deliver logs to CloudWatch Logs",
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html).
CLOUDWATCH_ERROR_TAG = "emulator:cloudwatch-delivery-error"
# A delivery time fixed in absolute terms (epoch seconds), so that a scan reading the account
# later sees an older delivery, as it would in AWS. Set by --cloudwatch-stale-after.
CLOUDWATCH_DELIVERED_AT: dict[str, float] = {}

_get_trail_status_before_issue14 = CloudTrailResponse.get_trail_status
_get_event_selectors_before_issue14 = CloudTrailResponse.get_event_selectors


def get_trail_status_as_aws(self):
    refuse_foreign_arn(self)
    desc = json.loads(_get_trail_status_before_issue14(self))
    name = self._get_param("Name")
    trail = find_trail(self.cloudtrail_backend, name)
    tags = trail_tags(trail)
    if trail.arn in CLOUDWATCH_DELIVERED_AT and "LatestCloudWatchLogsDeliveryTime" in desc:
        desc["LatestCloudWatchLogsDeliveryTime"] = CLOUDWATCH_DELIVERED_AT[trail.arn]
    if CLOUDWATCH_ERROR_TAG in tags:
        desc["LatestCloudWatchLogsDeliveryError"] = tags[CLOUDWATCH_ERROR_TAG]
    return json.dumps(desc)


def get_event_selectors_as_aws(self):
    refuse_foreign_arn(self)
    return _get_event_selectors_before_issue14(self)


CloudTrailResponse.get_trail_status = get_trail_status_as_aws
CloudTrailResponse.get_event_selectors = get_event_selectors_as_aws

# Whether a member's ListTrails shows the organization trail is not clearly documented (the
# console "list of trails" does; the API says "trails that are in the current account"), so
# this mode hides it from members' ListTrails, to prove orgtrail does not depend on it.
HIDE_ORGANIZATION_TRAILS_FROM_MEMBER_LISTINGS = False
_list_trails_before_issue14 = ct_models.CloudTrailBackend.list_trails


def list_trails_as_configured(self):
    if HIDE_ORGANIZATION_TRAILS_FROM_MEMBER_LISTINGS:
        return account_trails(self.account_id)
    return _list_trails_before_issue14(self)


ct_models.CloudTrailBackend.list_trails = list_trails_as_configured

# Opt-in regions: "Regions launched after March 20, 2019 are disabled by default" and a member
# that has not enabled one answers requests signed for it with 403 UnrecognizedClientException,
# "The security token included in the request is invalid." (InvalidClientTokenId in STS's query
# protocol). The list and default rule: https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html;
# the answer is what users report (nccgroup/ScoutSuite#1389 and #411, epsagon/clear-lambda-storage#9).
OPT_IN_REGIONS = {
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
    "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
}
REFUSE_DISABLED_OPT_IN_REGIONS = False
ENABLED_OPT_IN: dict[str, set[str]] = {}


class UnrecognizedClientException(JsonRESTError):
    code = 403

    def __init__(self):
        super().__init__(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )


def signing_region(response) -> str:
    # The SigV4 credential scope: Credential=AKID/20260101/<region>/<service>/aws4_request.
    scope = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", response.headers.get("Authorization", ""))
    return scope.group(1) if scope else response.region


def refused_region(response) -> Exception | None:
    if not REFUSE_DISABLED_OPT_IN_REGIONS:
        return None
    region = signing_region(response)
    if region not in OPT_IN_REGIONS or region in ENABLED_OPT_IN.get(response.current_account, set()):
        return None
    if response.service_name == "sts":
        return STSClientError("InvalidClientTokenId", "The security token included in the request is invalid.")
    return UnrecognizedClientException()


# Faults on one trail: AccessDenied on one trail's call, and a trail deleted between two calls
# of a scan (the next call meets moto's own TrailNotFoundException, "Unknown trail: <name> for
# the user: <account>", as AWS answers: elastic/cloudbeat#1750).
class AccessDeniedException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


TRAIL_DENIED: set[tuple[str, str, str]] = set()  # (account, action, trail name)
DELETE_AFTER: set[tuple[str, str, str]] = set()  # (account, action, trail name)


def requested_trail(response) -> str:
    name = response._get_param("Name") or response._get_param("TrailName") or ""
    return name.rsplit("/", 1)[-1]


def delete_trail(account: str, name: str) -> None:
    for backend in ct_models.cloudtrail_backends[account].values():
        backend.trails.pop(name, None)


_call_action_before_issue14 = BaseResponse.call_action


def call_action_with_issue14_behaviour(self):
    action = self._get_action()
    account = self.current_account
    fault = refused_region(self)
    if fault is None and self.service_name == "cloudtrail":
        if (account, action, requested_trail(self)) in TRAIL_DENIED:
            fault = AccessDeniedException(
                f"User is not authorized to perform: cloudtrail:{action} on trail {requested_trail(self)}"
            )
    if fault is not None:

        def fail(*_args, **_kwargs):
            raise fault

        setattr(self, camelcase_to_underscores(action), fail)
    answer = _call_action_before_issue14(self)
    for rule in [r for r in DELETE_AFTER if r[:2] == (account, action)]:
        delete_trail(account, rule[2])
        DELETE_AFTER.discard(rule)
    return answer


BaseResponse.call_action = call_action_with_issue14_behaviour

# Delegated administrators: RegisterDelegatedAdministrator "grants read-only access to
# Organizations service data", and the account-listing operations may be called "from the
# management account or a member account that is a delegated administrator"
# (https://docs.aws.amazon.com/organizations/latest/APIReference/action-reference.html). moto
# answers a delegated administrator's ListAccountsForParent with ParentNotFound: serve its reads
# from the management account's organization, and refuse other members as AWS does.
DELEGATED_ADMIN_READS = {
    "ListRoots", "ListChildren", "ListAccounts", "ListAccountsForParent",
    "ListOrganizationalUnitsForParent", "DescribeOrganizationalUnit", "DescribeAccount",
    "ListParents", "ListDelegatedAdministrators", "ListAWSServiceAccessForOrganization",
}
# Both support a delegated administrator ("AWS services that you can use with AWS Organizations",
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html).
FakeDelegatedAdministrator.SUPPORTED_SERVICES += [
    "cloudtrail.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
]


def organizations_backend_for_caller(self):
    own = organizations_backends[self.current_account][self.partition]
    membership = organizations_backends.master_accounts.get(self.current_account)
    if own.org is not None or membership is None:
        return own  # the management account, or an account outside any organization
    management = organizations_backends[membership[0]][membership[1]]
    action = self._get_action()
    if action == "DescribeOrganization":
        return own  # "You can call this operation from any account in a organization."
    if action in DELEGATED_ADMIN_READS and any(
        admin.account.id == self.current_account for admin in management.admins
    ):
        return management
    raise JsonRESTError("AccessDeniedException", "You don't have permissions to access this resource.")


OrganizationsResponse.organizations_backend = property(organizations_backend_for_caller)


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
        self.credentials = {}  # name -> access keys a test may run orgtrail with
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
    org.require_external_id(org.account("external-id", prod), EXTERNAL_ID)


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


# Scenarios of issue 14: each seeds one AWS set-up next to accounts that must be audited as usual.

DATA_EVENTS_ONLY = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
    }
]


def tag_trail(org: Org, account_id: str, name: str, region: str, key: str, value: str) -> None:
    cloudtrail = org.inside(account_id)("cloudtrail", region)
    arn = cloudtrail.describe_trails(trailNameList=[name])["trailList"][0]["TrailARN"]
    cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": key, "Value": value}])


def seed_global_events(org: Org) -> None:
    """Global service events since 2021-11-22: which trails receive them."""
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    org.trail(org.account("compliant"), "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
    # Single-region, homed outside us-east-1, IncludeGlobalServiceEvents true: receives none.
    org.trail(org.account("eu-single-region"), "eu-trail", region="eu-west-1")
    # Single-region, homed in us-east-1: receives them, even when us-east-1 is not audited.
    org.trail(org.account("us-east-1-single-region"), "use1-trail", region="us-east-1")
    # Multi-region with the flag, but recording no management events: receives none.
    org.trail(org.account("no-management-events"), "data", event_selectors=DATA_EVENTS_ONLY,
              **MULTI_REGION)
    # One carrier plus a regional trail with the flag outside us-east-1: not a duplicate.
    carrier = org.account("carrier-and-eu-regional")
    org.trail(carrier, "main", **MULTI_REGION)
    org.trail(carrier, "eu-trail", region="eu-west-1")


def seed_cloudwatch(org: Org) -> None:
    """CloudWatch Logs on the trail that records management events, and delivery errors."""
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    org.trail(org.account("compliant"), "main", cloudwatch_age_hours=2, **BY_THE_BOOK)
    # The management-events trail sends nothing to CloudWatch; a data-events trail does.
    split = org.account("logs-on-data-trail")
    org.trail(split, "management", **MULTI_REGION)
    org.trail(split, "data", cloudwatch_age_hours=1, event_selectors=DATA_EVENTS_ONLY,
              **MULTI_REGION)
    fresh = org.account("fresh-with-error")
    org.trail(fresh, "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
    tag_trail(org, fresh, "main", "us-east-1", CLOUDWATCH_ERROR_TAG,
              "AccessDeniedException: role cannot write to the log group")
    stale = org.account("stale-with-error")
    org.trail(stale, "main", cloudwatch_age_hours=30, **BY_THE_BOOK)
    tag_trail(org, stale, "main", "us-east-1", CLOUDWATCH_ERROR_TAG,
              "ResourceNotFoundException: the log group does not exist")
    late = org.account("read-late")
    org.trail(late, "main", cloudwatch_age_hours=1, **BY_THE_BOOK)


def seed_partial(org: Org) -> None:
    """Accounts whose trails the tests make unreadable one by one (--deny-trail,
    --delete-trail-after), next to accounts audited as usual."""
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    org.trail(org.account("compliant"), "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
    for name in ("second-denied", "status-denied", "deleted-mid-scan", "listed-not-described"):
        account = org.account(name)
        org.trail(account, "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
        org.trail(account, "second", region="eu-west-1", **MULTI_REGION)
    org.trail(org.account("only-trail-denied"), "main", cloudwatch_age_hours=1, **BY_THE_BOOK)


def seed_delegated_admin(org: Org, audit_role_in_management: bool = False) -> None:
    """An organization trail owned by the management account, a delegated administrator whose
    access keys the scan runs with, and members with and without trails of their own."""
    org.trail(MANAGEMENT_ACCOUNT, "org-trail", region="eu-central-1", cloudwatch_age_hours=1,
              IsOrganizationTrail=True, **BY_THE_BOOK)
    admin = org.account("delegated-admin")
    org.org.register_delegated_administrator(
        AccountId=admin, ServicePrincipal="cloudtrail.amazonaws.com"
    )
    iam = org.inside(admin)("iam")
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    org.credentials["delegated-admin"] = {
        "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"],
    }
    org.account("org-trail-only")
    org.account("also-org-trail-only")
    org.trail(org.account("own-trail"), "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
    if audit_role_in_management:
        # What deploying the audit role to the management account by hand gives: a service-
        # managed StackSet never does (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html).
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{admin}:root"},
            "Action": "sts:AssumeRole"}]}
        org.client("iam").create_role(RoleName="OrganizationAccountAccessRole",
                                      AssumeRolePolicyDocument=json.dumps(trust))


def seed_unknown_selectors(org: Org) -> None:
    """Management selectors with values, fields and operators orgtrail does not know."""
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    org.trail(org.account("compliant"), "main", cloudwatch_age_hours=1, **BY_THE_BOOK)
    # botocore does not check enum values, so AWS's own SDKs can send (and receive) this.
    org.trail(org.account("unknown-read-write-type"), "main", cloudwatch_age_hours=1,
              event_selectors=[{"ReadWriteType": "ReadAndSomeWrites", "IncludeManagementEvents": True}],
              **MULTI_REGION)
    management = {"Field": "eventCategory", "Equals": ["Management"]}
    org.trail(org.account("unknown-field"), "main", cloudwatch_age_hours=1,
              advanced_event_selectors=[{"Name": "console logins", "FieldSelectors": [
                  management, {"Field": "eventName", "Equals": ["ConsoleLogin"]}]}],
              **MULTI_REGION)
    org.trail(org.account("read-only-starts-with"), "main", cloudwatch_age_hours=1,
              advanced_event_selectors=[{"Name": "reads?", "FieldSelectors": [
                  management, {"Field": "readOnly", "StartsWith": ["t"]}]}],
              **MULTI_REGION)
    # An operator no SDK models yet, as a future AWS answer would carry it: written straight into
    # the emulator's state, since botocore refuses to send it.
    future = org.account("unknown-operator")
    org.trail(future, "main", cloudwatch_age_hours=1, **MULTI_REGION)
    trail = ct_models.cloudtrail_backends[future]["us-east-1"].trails["main"]
    trail.put_event_selectors([], [{"Name": "all but IAM?", "FieldSelectors": [
        management, {"Field": "eventSource", "Contains": ["iam"]}]}])


SCENARIOS = {
    "dozen": seed_dozen,
    "organization-trail": seed_organization_trail,
    "global-events": seed_global_events,
    "cloudwatch": seed_cloudwatch,
    "partial": seed_partial,
    "delegated-admin": seed_delegated_admin,
    "delegated-admin-role-in-management": lambda org: seed_delegated_admin(org, True),
    "unknown-selectors": seed_unknown_selectors,
}
NO_ORGANIZATION = "no-organization"  # the caller's account alone, never joined to an organization


def arm_issue14(args, resolve) -> None:
    global REFUSE_DISABLED_OPT_IN_REGIONS, HIDE_ORGANIZATION_TRAILS_FROM_MEMBER_LISTINGS
    for rule in args.deny_trail:
        account, action, trail = rule.split(":")
        TRAIL_DENIED.add((resolve(account), action, trail))
    for rule in args.delete_trail_after:
        account, action, trail = rule.split(":")
        DELETE_AFTER.add((resolve(account), action, trail))
    REFUSE_DISABLED_OPT_IN_REGIONS = args.refuse_disabled_opt_in_regions
    for rule in args.enable_opt_in_region:
        account, region = rule.split(":")
        ENABLED_OPT_IN.setdefault(resolve(account), set()).add(region)
    HIDE_ORGANIZATION_TRAILS_FROM_MEMBER_LISTINGS = args.hide_organization_trails_from_member_listings
    ready = time.time()
    for rule in args.cloudwatch_stale_after:
        account, seconds = rule.split(":")
        for trail in account_trails(resolve(account)):
            CLOUDWATCH_DELIVERED_AT[trail.arn] = ready - 24 * 3600 + float(seconds)


# --- Service control policies that guard trails (issue 23) ---------------------------------------
# ListPoliciesForTarget and DescribePolicy "can be called only from the organization's management
# account or by a member account that is a delegated administrator"
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html,
# .../API_DescribePolicy.html): moto serves only the management account, so a delegated
# administrator's reads are served from the management account's organization, as above.
# ListPoliciesForTarget lists "the policies that are directly attached to the specified target
# root, organizational unit (OU), or account" (the same page), which moto does: inheritance is the
# caller's to work out. moto leaves the root's PolicyTypes empty until EnablePolicyType, as AWS
# does for an organization created through the API ("Enabling a policy type",
# https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html), so the
# scenario enables SCPs the way an administrator would.
DELEGATED_ADMIN_READS.update({"ListPoliciesForTarget", "DescribePolicy", "ListPolicies",
                              "ListTargetsForPolicy"})

GUARDED_TRAIL_ACTIONS = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                         "cloudtrail:PutEventSelectors"]
TRAIL_ADMIN_ROLE = "arn:aws:iam::*:role/TrailAdmin"


def scp(org: Org, name: str, statement: dict, *targets: str) -> str:
    policy = org.org.create_policy(
        Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )["Policy"]["PolicySummary"]["Id"]
    for target in targets:
        org.org.attach_policy(PolicyId=policy, TargetId=target)
    return policy


def seed_guardrails(org: Org) -> None:
    """The guardrail on one OU and not another: Guarded (its member two levels down, in
    Guarded/Inner) denies trail changes to all but a TrailAdmin role; Open has FullAWSAccess
    only; Tagged denies them under a condition on a principal tag, which cannot be judged. The
    management account, which SCPs never restrict, has a trail of its own."""
    org.org.enable_policy_type(RootId=org.root_id, PolicyType="SERVICE_CONTROL_POLICY")
    guarded = org.ou("Guarded")
    inner = org.ou("Inner", guarded)
    open_unit = org.ou("Open")
    tagged = org.ou("Tagged")
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", **MULTI_REGION)
    org.trail(org.account("guarded", inner), "main", **MULTI_REGION)
    org.trail(org.account("guarded-too", inner), "main", **MULTI_REGION)
    org.trail(org.account("open", open_unit), "main", **MULTI_REGION)
    org.trail(org.account("tagged", tagged), "main", **MULTI_REGION)
    scp(org, "protect-trails", {
        "Sid": "ProtectTrails", "Effect": "Deny", "Action": GUARDED_TRAIL_ACTIONS, "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": TRAIL_ADMIN_ROLE}},
    }, guarded)
    scp(org, "protect-trails-by-tag", {
        "Effect": "Deny", "Action": "cloudtrail:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "security"}},
    }, tagged)


SCENARIOS["guardrails"] = seed_guardrails


def seed_dozen_with_scps(org: Org) -> None:
    """The dozen, in an organization with SCPs on and FullAWSAccess alone (AWS attaches it to
    every root, OU and account when SCPs are enabled): no member is guarded, on what was read."""
    org.org.enable_policy_type(RootId=org.root_id, PolicyType="SERVICE_CONTROL_POLICY")
    seed_dozen(org)
    # The two accounts set up by the book also alarm on trail changes (defined further down),
    # and the compliant member is guarded by an SCP attached to the account itself.
    changes_alarm(org, MANAGEMENT_ACCOUNT, "management-trail")
    changes_alarm(org, org.accounts["compliant"], "main")
    scp(org, "protect-trails", {
        "Sid": "ProtectTrails", "Effect": "Deny", "Action": GUARDED_TRAIL_ACTIONS, "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": TRAIL_ADMIN_ROLE}},
    }, org.accounts["compliant"])


SCENARIOS["dozen"] = seed_dozen_with_scps


def enable_scps(org: Org) -> None:
    org.org.enable_policy_type(RootId=org.root_id, PolicyType="SERVICE_CONTROL_POLICY")


# For BENCHMARKS.md's call budget with SCPs on: the benchmark organizations, FullAWSAccess alone.
SCENARIOS["wide-with-scps"] = lambda org: (enable_scps(org), seed_wide(org))
SCENARIOS["scale-50-with-scps"] = lambda org: (enable_scps(org), seed_scale(org, 50))


# --- Alarms on trail configuration changes (issue 23) ---------------------------------------------
# moto confirms every SNS subscription at once. AWS does not: an email, email-json, http or https
# endpoint must confirm it first, and until then ListSubscriptionsByTopic answers
# "PendingConfirmation" for its SubscriptionArn (SNS API reference, "Subscribe": "the
# subscription ARN ... is pending confirmation" until ConfirmSubscription,
# https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html; ListSubscriptionsByTopic,
# https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html). A same-account
# SQS or Lambda endpoint needs no confirmation. Seeds confirm an endpoint with
# CONFIRMED_ENDPOINTS; the rest of those protocols stay pending, as in AWS.
import copy  # noqa: E402

from moto.sns.models import SNSBackend  # noqa: E402

NEEDS_CONFIRMATION = {"email", "email-json", "http", "https"}
CONFIRMED_ENDPOINTS: set[str] = set()
_list_subscriptions_by_topic_before_issue23 = SNSBackend.list_subscriptions_by_topic


def list_subscriptions_by_topic_as_aws(self, topic_arn, next_token=None):
    subscriptions, next_token = _list_subscriptions_by_topic_before_issue23(
        self, topic_arn, next_token=next_token)
    answered = []
    for subscription in subscriptions:
        if (subscription.protocol in NEEDS_CONFIRMATION
                and subscription.endpoint not in CONFIRMED_ENDPOINTS):
            subscription = copy.copy(subscription)
            subscription.arn = "PendingConfirmation"
        answered.append(subscription)
    return answered, next_token


SNSBackend.list_subscriptions_by_topic = list_subscriptions_by_topic_as_aws


# CloudWatch speaks the Smithy RPC v2 CBOR protocol to current SDKs (aws-sdk-cloudwatch sends
# DescribeAlarms as POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms with
# `smithy-protocol: rpc-v2-cbor`; the service still accepts the query protocol too: botocore's
# model lists "protocols": ["smithy-rpc-v2-cbor", "json", "query"]). moto 5.2.5 answers only the
# query protocol, so such a request is translated: its CBOR body decoded with botocore's CBOR
# parser, re-sent to moto as a query request (so the request log and armed faults see it), and
# moto's XML answer parsed and re-encoded as CBOR with botocore's serializer.
import io  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import botocore.parsers  # noqa: E402
import botocore.serialize  # noqa: E402
import botocore.session  # noqa: E402

CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"
_cloudwatch_model = None
_dispatch_before_cbor = DomainDispatcherApplication.__call__


def cloudwatch_model():
    global _cloudwatch_model
    if _cloudwatch_model is None:
        _cloudwatch_model = botocore.session.get_session().get_service_model("cloudwatch")
    return _cloudwatch_model


def cbor_text_map(values: dict) -> bytearray:
    """A CBOR map of text strings (RFC 8949: major type 5, then 3), for an error's body."""
    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")
    out = bytearray(head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += head(3, len(data)) + data
    return out


def cbor_dispatch(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not path.startswith(CBOR_PREFIX):
        return _dispatch_before_cbor(self, environ, start_response)
    operation = cloudwatch_model().operation_model(path[len(CBOR_PREFIX):])
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    parser = botocore.parsers.RpcV2CBORParser()
    params = parser._initial_body_parse(body) if body else {}
    params = params or {}
    query = botocore.serialize.QuerySerializer().serialize_to_request(params, operation)["body"]
    encoded = urlencode(query) if isinstance(query, dict) else query
    forwarded = dict(environ)
    forwarded.update({
        "PATH_INFO": "/", "REQUEST_METHOD": "POST", "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(encoded)), "wsgi.input": io.BytesIO(encoded.encode()),
    })
    for header in ("HTTP_SMITHY_PROTOCOL", "HTTP_X_AMZN_QUERY_MODE", "HTTP_ACCEPT"):
        forwarded.pop(header, None)
    answered = {}

    def capture(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, headers
        return lambda data: None

    xml = b"".join(_dispatch_before_cbor(self, forwarded, capture))
    code = int(answered["status"].split()[0])
    query_parser = botocore.parsers.QueryParser()
    result = query_parser.parse({"body": xml, "headers": {}, "status_code": code},
                                operation.output_shape)
    result.pop("ResponseMetadata", None)
    out = bytearray()
    serializer = botocore.serialize.RpcV2CBORSerializer()
    if code >= 400:
        error = result.get("Error", {})
        out = cbor_text_map({"__type": error.get("Code", ""), "message": error.get("Message", "")})
    elif operation.output_shape is not None:
        serializer._serialize_data_item(out, result, operation.output_shape)
    start_response(answered["status"], [("Content-Type", "application/cbor"),
                                        ("smithy-protocol", "rpc-v2-cbor"),
                                        ("Content-Length", str(len(out)))])
    return [bytes(out)]


DomainDispatcherApplication.__call__ = cbor_dispatch


CIS_FILTER_PATTERN = ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
                      "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
                      "($.eventName = StopLogging) }")


def changes_alarm(org: Org, account_id: str, trail: str, pattern: str = CIS_FILTER_PATTERN,
                  alarm: bool = True, subscriber: str | None = "sqs",
                  region: str = "us-east-1") -> None:
    """On the trail's log group (named as the trail, as Org.trail names it): a metric filter
    with `pattern`, an alarm on its metric when `alarm`, notifying a topic with one subscriber
    by `subscriber` ("sqs": confirmed; "email": pending) or none."""
    client = org.inside(account_id)
    client("logs", region).create_log_group(logGroupName=trail)
    client("logs", region).put_metric_filter(
        logGroupName=trail, filterName="cloudtrail-changes", filterPattern=pattern,
        metricTransformations=[{"metricName": "CloudTrailChanges",
                                "metricNamespace": "CISBenchmark", "metricValue": "1"}],
    )
    if not alarm:
        return
    topic = client("sns", region).create_topic(Name=f"{trail}-security-alerts")["TopicArn"]
    if subscriber == "sqs":
        queue = client("sqs", region).create_queue(QueueName=f"{trail}-alerts")["QueueUrl"]
        queue_arn = client("sqs", region).get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client("sns", region).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    elif subscriber == "email":
        client("sns", region).subscribe(TopicArn=topic, Protocol="email",
                                        Endpoint=f"security@{account_id}.example.com")
    client("cloudwatch", region).put_metric_alarm(
        AlarmName="cloudtrail-changes", MetricName="CloudTrailChanges", Namespace="CISBenchmark",
        Statistic="Sum", Period=300, Threshold=1, EvaluationPeriods=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
    )


def seed_alarms(org: Org) -> None:
    """A log group with CIS's filter, alarm and a subscribed topic; one with the filter but no
    alarm; one whose alarm's topic has only an unconfirmed subscriber; one whose filter misses
    StopLogging."""
    watched = dict(cloudwatch_age_hours=1, **MULTI_REGION)
    for name, options in [
        ("alarmed", {}),
        ("filter-only", {"alarm": False}),
        ("unsubscribed", {"subscriber": "email"}),
        ("misses-stop", {"pattern": CIS_FILTER_PATTERN.replace(
            " || ($.eventName = StopLogging)", "")}),
    ]:
        account = org.account(name)
        org.trail(account, "main", **watched)
        changes_alarm(org, account, "main", **options)


def seed_alarmed_organization_trail(org: Org) -> None:
    """An organization trail whose log group, in the management account, is alarmed: read once,
    as its owner, for every member."""
    org.trail(MANAGEMENT_ACCOUNT, "org-trail", IsOrganizationTrail=True, cloudwatch_age_hours=1,
              **MULTI_REGION)
    changes_alarm(org, MANAGEMENT_ACCOUNT, "org-trail")
    for i in range(3):
        org.account(f"org-trail-only-{i}")


SCENARIOS["alarms"] = seed_alarms
SCENARIOS["alarmed-organization-trail"] = seed_alarmed_organization_trail


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

# --- Issue 20: S3 and KMS as strict as AWS across accounts; the Control Tower layout -----------
# moto resolves any account's bucket by name (or, with MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false,
# refuses every cross-account request, even one the bucket policy grants) and looks a key ARN up
# only among the calling account's keys (NotFoundException). AWS decides by policy:
#
# * S3: "By default, all Amazon S3 resources are private, and only the resource owner can access
#   them"; another account needs a bucket policy grant (Amazon S3 user guide, "Identity and
#   Access Management for Amazon S3" and "Example 2: Bucket owner granting cross-account bucket
#   permissions", https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html),
#   otherwise 403 AccessDenied.
# * GetBucketPolicy: "If you are using an identity other than the root user of the AWS account
#   that owns the bucket, the calling identity must both have the GetBucketPolicy permissions on
#   the specified bucket and belong to the bucket owner's account ... If you don't have
#   GetBucketPolicy permissions, Amazon S3 returns a 403 Access Denied error. If you have the
#   correct permissions, but you're not using an identity that belongs to the bucket owner's
#   account, Amazon S3 returns a 405 Method Not Allowed error."
#   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html)
# * ExpectedBucketOwner: "If the provided account ID does not match the actual owner of the
#   bucket, the request fails with the HTTP status code 403 Forbidden (access denied)."
#   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)
# * KMS: "Principals in other accounts ... can use the KMS key only when the key policy gives the
#   account permission" (AWS KMS developer guide, "Allowing users in other accounts to use a KMS
#   key", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html);
#   a refused request answers AccessDeniedException.
# The checks below are the only authority on cross-account access: moto's own blanket refusal is
# switched off so that a granted read is served.
os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "true"

# moto's S3 action names that differ from IAM's.
S3_IAM_ACTIONS = {"GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock"}


def statements(policy) -> list[dict]:
    if not policy:
        return []
    if isinstance(policy, bytes):
        policy = policy.decode()
    document = json.loads(policy) if isinstance(policy, str) else policy
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def listed(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_grants(policy, account: str, action: str) -> bool:
    """Whether an Allow statement names a principal of `account` (its root, the account id,
    or any of its roles and users) or everyone, for `action` (wildcards as IAM reads them)."""
    from fnmatch import fnmatchcase

    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        principals = ["*"] if principal == "*" else listed(principal.get("AWS", []))
        if not any(
            p == "*" or p == account or p.split(":")[4:5] == [account] for p in principals
        ):
            continue
        if any(fnmatchcase(action.lower(), a.lower()) for a in listed(statement.get("Action", []))):
            return True
    return False


def refuse_as_aws_across_accounts(response, resource_type: str) -> None:
    """Raise what S3 answers a request on another account's bucket that its policy does not
    grant, a GetBucketPolicy from outside the owner's account, or a wrong ExpectedBucketOwner."""
    from moto.s3.models import s3_backends

    name = getattr(response, "bucket_name", None)
    action = response.data.get("Action")
    if not name or not action or resource_type not in ("BUCKET", "KEY"):
        return
    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        return  # no such bucket (yet): moto answers NoSuchBucket, or creates it
    partition, owner_account = owner
    expected = response.headers.get("x-amz-expected-bucket-owner")
    if expected and expected != owner_account:
        raise InjectedFault("AccessDenied", "Access Denied", 403)
    caller = response.current_account
    if caller == owner_account:
        return
    if action == "GetBucketPolicy":
        raise InjectedFault(
            "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
        )
    bucket = s3_backends[owner_account][partition].buckets.get(name)
    iam_action = S3_IAM_ACTIONS.get(action, f"s3:{action}")
    if bucket is None or not policy_grants(bucket.policy, caller, iam_action):
        raise InjectedFault("AccessDenied", "Access Denied", 403)


s3_set_action_before_issue20 = S3Response._set_action


def s3_set_action_as_aws_across_accounts(self, resource_type, method, querystring):
    # Named by moto first, so the refusal knows the action; a refused request is logged here with
    # its refusal (the earlier layer would log it as answered), an allowed one there.
    original_s3_set_action(self, resource_type, method, querystring)
    if resource_type == "BUCKET" and "publicAccessBlock" in querystring and method == "GET":
        self.data["Action"] = "GetPublicAccessBlock"
    try:
        refuse_as_aws_across_accounts(self, resource_type)
    except InjectedFault as refusal:
        if REQUEST_LOG is not None:
            log_request(self.current_account, "s3", self.data["Action"], self.region,
                        ("refused", refusal))
        raise
    s3_set_action_before_issue20(self, resource_type, method, querystring)


S3Response._set_action = s3_set_action_as_aws_across_accounts

all_buckets_before_issue20 = S3Response.all_buckets


def all_buckets_logged(self):
    # ListBuckets is answered without passing _set_action: log it, and meet armed faults, here.
    if REQUEST_LOG is not None:
        fault = injected_fault("s3", self.current_account, "ListBuckets", self.emulator_request)
        log_request(self.current_account, "s3", "ListBuckets", self.region, fault)
        error = answer_with(fault, self.emulator_request)
        if error is not None:
            raise error
    return all_buckets_before_issue20(self)


S3Response.all_buckets = all_buckets_logged

from moto.kms.models import kms_backends  # noqa: E402
from moto.kms.responses import KmsResponse  # noqa: E402

get_key_rotation_status_before_issue20 = KmsResponse.get_key_rotation_status


def get_key_rotation_status_as_aws(self):
    """Another account's key: answered from its owner's keys when the key policy grants the
    caller's account, else AccessDeniedException; a key of the caller's own as moto does."""
    key_id = self._get_param("KeyId") or ""
    parts = key_id.split(":")
    if len(parts) < 6 or parts[4] in ("", self.current_account):
        return get_key_rotation_status_before_issue20(self)
    region, owner = parts[3], parts[4]
    key = kms_backends[owner][region].keys.get(key_id.split(":key/")[-1])
    action = "kms:GetKeyRotationStatus"
    if key is None or not policy_grants(key.policy, self.current_account, action):
        raise JsonRESTError(
            "AccessDeniedException",
            f"User: arn:aws:sts::{self.current_account}:assumed-role/caller is not authorized to "
            f"perform: {action} on resource: {key_id} because no resource-based policy allows "
            f"the {action} action",
        )
    return json.dumps({"KeyRotationEnabled": key.key_rotation_status})


KmsResponse.get_key_rotation_status = get_key_rotation_status_as_aws

OUTSIDE_ACCOUNT = "999999999999"  # an AWS account no organization of the scenarios holds


def seed_control_tower(org: Org) -> None:
    """The layout AWS Control Tower deploys (Control Tower user guide, "What is AWS Control
    Tower?" and "Logging and monitoring"): the organization trail aws-controltower-BaselineCloudTrail
    in the management account, with CloudWatch Logs and a KMS key there, delivering to
    aws-controltower-logs-<log-archive-id>-<region> in the Log Archive account, whose access logs
    go to aws-controltower-s3-access-logs-<log-archive-id>-<region>. Next to it, the cases an
    auditor meets: members with no trail of their own, a member writing to another member's bucket
    (and key), a member whose own bucket is public, a member writing to a bucket outside the
    organization."""
    security = org.ou("Security")
    workloads = org.ou("Workloads")
    log_archive = org.account("log-archive", security)
    org.account("audit", security)
    region = "us-east-1"
    s3 = org.inside(log_archive)("s3", region)
    bucket = f"aws-controltower-logs-{log_archive}-{region}"
    access_logs = f"aws-controltower-s3-access-logs-{log_archive}-{region}"
    s3.create_bucket(Bucket=access_logs, ACL="log-delivery-write")
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": access_logs, "TargetPrefix": ""}},
    )
    kms = org.client("kms", region)
    key = kms.create_key(Description="aws-controltower trail key")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    cloudtrail = org.client("cloudtrail", region)
    name = "aws-controltower-BaselineCloudTrail"
    cloudtrail.create_trail(
        Name=name,
        S3BucketName=bucket,
        S3KeyPrefix=org.org.describe_organization()["Organization"]["Id"],
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{MANAGEMENT_ACCOUNT}:log-group:aws-controltower/CloudTrailLogs:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/aws-controltower-CloudWatchLogsRole",
        TagsList=[{"Key": CLOUDWATCH_AGE_TAG, "Value": "1"}],
    )
    cloudtrail.start_logging(Name=name)

    for member in ("workload-a", "workload-b"):
        org.account(member, workloads)

    # A member whose own trail writes to a bucket, encrypted with a key, of another member; the
    # bucket's name says nothing of its owner.
    central = org.account("central-logging", security)
    central_s3 = org.inside(central)("s3", region)
    central_s3.create_bucket(Bucket="shared-trail-logs")
    central_kms = org.inside(central)("kms", region)
    central_key = central_kms.create_key(Description="shared trail key")["KeyMetadata"]["Arn"]
    writer = org.account("shared-writer", workloads)
    writer_trail = org.inside(writer)("cloudtrail", region)
    writer_trail.create_trail(
        Name="to-central", S3BucketName="shared-trail-logs", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, KmsKeyId=central_key,
    )
    writer_trail.start_logging(Name="to-central")

    org.trail(org.account("public-bucket", workloads), "own", bucket="public", **MULTI_REGION)

    # A member whose trail writes to a bucket of an account outside the organization, straight
    # into that account's S3 (no role of the organization exists there).
    from moto.s3.models import s3_backends

    outside_bucket = f"vendor-logs-{OUTSIDE_ACCOUNT}"
    s3_backends[OUTSIDE_ACCOUNT]["aws"].create_bucket(outside_bucket, region)
    outsider = org.account("outside-writer", workloads)
    outsider_trail = org.inside(outsider)("cloudtrail", region)
    outsider_trail.create_trail(
        Name="to-vendor", S3BucketName=outside_bucket, IsMultiRegionTrail=True
    )
    outsider_trail.start_logging(Name="to-vendor")


SCENARIOS["control-tower"] = seed_control_tower

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


# --- Listings in flight (issue 21: orderings, not wall-clock windows) ------------------------------
# How many Organizations tree listings the emulator holds unanswered when each arrives: counted
# from arrival to the answer leaving (after any --latency), so a test reads the walk's width from
# what the emulator saw, whatever the machine's load.

LISTINGS = threading.local()
LISTINGS_IN_FLIGHT = 0
LISTINGS_LOCK = threading.Lock()
TREE_LISTINGS = ("ListAccountsForParent", "ListOrganizationalUnitsForParent")
dispatch_before_counting = DomainDispatcherApplication.__call__


def dispatch_counting_listings(self, environ, start_response):
    global LISTINGS_IN_FLIGHT
    # The JSON protocol names the operation in a header: "AWSOrganizationsV20161128.ListRoots".
    if not environ.get("HTTP_X_AMZ_TARGET", "").endswith(TREE_LISTINGS):
        LISTINGS.in_flight_at_arrival = None
        return dispatch_before_counting(self, environ, start_response)
    with LISTINGS_LOCK:
        LISTINGS_IN_FLIGHT += 1
        LISTINGS.in_flight_at_arrival = LISTINGS_IN_FLIGHT
    try:
        return dispatch_before_counting(self, environ, start_response)
    finally:
        with LISTINGS_LOCK:
            LISTINGS_IN_FLIGHT -= 1
        LISTINGS.in_flight_at_arrival = None


DomainDispatcherApplication.__call__ = dispatch_counting_listings


# --- Stalled calls (issue 21: the progress heartbeat) ---------------------------------------------
# One action of one account that does not answer for an hour, as a hung endpoint or a half-open
# connection leaves a call: a scan waiting on it must still say what it waits on (README,
# "a log line every 10 seconds"). The stall starts once the call is in the request log.

STALLED: set[tuple[str, str]] = set()
STALL_SECONDS = 3600.0


# And deliveries that turn stale as the scan reads them: an account's CloudWatch Logs delivery is
# 24 hours old one second after its first CloudTrail call arrives, so "fresh when the scan
# started, stale when its account was read" follows from the order of the calls (with --slow
# holding each answer back), not from how soon after the emulator's start the scan began.
STALE_ONCE_CALLED: set[str] = set()


def add_issue21_arguments(parser) -> None:
    parser.add_argument("--stall", action="append", default=[], metavar="ACCOUNT:Action",
                        help="calls of this action from this account answer after an hour")
    parser.add_argument("--cloudwatch-stale-once-called", action="append", default=[],
                        metavar="ACCOUNT", help="the account's CloudWatch Logs delivery turns 24 "
                        "hours old one second after its first CloudTrail call arrives")


def arm_issue21(args, resolve) -> None:
    for rule in args.stall:
        account, action = rule.split(":")
        STALLED.add((resolve(account), action))
    for account in args.cloudwatch_stale_once_called:
        STALE_ONCE_CALLED.add(resolve(account))


call_action_before_stalls = BaseResponse.call_action


def call_action_with_stalls(self):
    account = self.current_account
    if self.service_name == "cloudtrail" and account in STALE_ONCE_CALLED:
        STALE_ONCE_CALLED.discard(account)
        for trail in account_trails(account):
            CLOUDWATCH_DELIVERED_AT[trail.arn] = time.time() - 24 * 3600 + 1
    stalled = (account, self._get_action()) in STALLED
    # Answered (and logged, as every call is) first; the answer then waits out the stall.
    answer = call_action_before_stalls(self)
    if stalled:
        time.sleep(STALL_SECONDS)
    return answer


BaseResponse.call_action = call_action_with_stalls


# --- CloudTrail event history (issue 22) --------------------------------------------------------
# moto 5.2.5 answers LookupEvents with HTTP 500. AWS records every management call "in the Region
# where the call was made" and LookupEvents looks up the last 90 days of one Region's management
# events: "Lookup supports the following attributes ... All attributes are optional. The default
# number of results returned is 50, with a maximum of 50 possible. The response includes a token
# that you can use to get the next page of results. ... The rate of lookup requests is limited to
# two per second, per account, per Region. If this limit is exceeded, a throttling error occurs."
# (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html); the
# attribute list "can contain only one item"; results come newest first. Every CloudTrail call
# the emulator answers is recorded here as AWS records it (the CloudTrail record contents,
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
# stamped with EVENT_CLOCK: while seeding, long before any period a test audits; inside
# `Org.at(...)`, the back-dated instant a test names; after seeding, the real time.
# Reads too, with readOnly "true": "CloudTrail began logging all CloudTrail management events in
# Event history on June 14, 2018", and `ReadOnly=false` "returns write events. It excludes read
# events such as GetBucketLocation and DescribeStream"
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-cli.html); a
# trail's selectors do not apply to event history ("settings that you apply to a trail or event
# data store do not apply to Event history",
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html).
# LookupEvents itself is not recorded: no AWS page consulted says that it is (CLOUDTRAIL_READS).
# --busy-history seeds a region with more than a page of back-dated reads, as a SIEM polling the
# trails' status would leave.
import base64
import uuid
from contextlib import contextmanager

from moto.sts.models import sts_backends

TRAIL_CHANGES = {
    "CreateTrail", "DeleteTrail", "StartLogging", "StopLogging", "UpdateTrail",
    "PutEventSelectors", "PutInsightSelectors", "AddTags", "RemoveTags",
}
# CloudTrail's read calls, recorded with readOnly "true" in the region called.
CLOUDTRAIL_READS = {
    "DescribeTrails", "GetTrailStatus", "ListTrails", "GetEventSelectors", "GetInsightSelectors",
    "GetTrail", "ListTags", "ListPublicKeys",
}
LOOKUP_ATTRIBUTES = {
    "EventId": "eventID", "EventName": "eventName", "ReadOnly": "readOnly", "Username": None,
    "ResourceType": None, "ResourceName": None, "EventSource": "eventSource",
    "AccessKeyId": None,
}
EVENTS: dict[tuple[str, str], list[dict]] = {}  # (account, region) -> events, oldest first
EVENTS_LOCK = threading.Lock()
LOOKUP_REQUESTS: dict[tuple[str, str], list[float]] = {}  # accepted LookupEvents, by time
LOOKUP_RATE = 2  # per second, per account, per region
# Accounts where another client (a SIEM, another audit tool) uses one of the two lookups every
# second, as AWS counts every caller of the account against the same limit: --lookup-shared.
LOOKUP_SHARED: set[str] = set()
# Seeded set-ups happened long ago: 100 days back, outside the 90 days LookupEvents reaches.
SEEDED_LONG_AGO = timedelta(days=100)
EVENT_CLOCK: datetime | None = None  # None: the real time


def camel_keys(value):
    """CloudTrail records request parameters with lowerCamelCase names (`trailName`, `isLogging`)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def event_time() -> datetime:
    global EVENT_CLOCK
    if EVENT_CLOCK is None:
        return datetime.now(timezone.utc)
    stamp = EVENT_CLOCK
    EVENT_CLOCK = EVENT_CLOCK + timedelta(seconds=1)  # keeps the order of calls made together
    return stamp


def record_event(response, action: str, read_only: bool = False) -> None:
    account = response.current_account
    region = response.region
    try:
        access_key = response.get_access_key()
        _, arn, _ = sts_backends[account]["aws"].get_caller_identity(access_key, region)
    except Exception:  # noqa: BLE001 - an identity moto cannot resolve is still an identity
        access_key, arn = "", f"arn:aws:iam::{account}:root"
    try:
        parameters = camel_keys(json.loads(response.body or "{}"))
    except ValueError:
        parameters = {}
    request = getattr(response, "emulator_request", None)
    add_event(
        account, region, action, parameters, event_time(), read_only, arn, access_key,
        source_ip=getattr(request, "remote_addr", None) or "127.0.0.1",
        user_agent=(request.headers.get("User-Agent") if request is not None else None) or "",
    )


def add_event(account: str, region: str, action: str, parameters: dict, when: datetime,
              read_only: bool, arn: str, access_key: str, source_ip: str, user_agent: str) -> None:
    """One CloudTrail event in the account-region's history."""
    name = parameters.get("name") or parameters.get("trailName") or ""
    event_id = str(uuid.uuid4())
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole" if ":assumed-role/" in arn else "IAMUser",
            "arn": arn, "accountId": account, "accessKeyId": access_key,
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": action,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": parameters or None,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    event = {
        "EventId": event_id,
        "EventName": action,
        "ReadOnly": "true" if read_only else "false",
        "AccessKeyId": access_key,
        "EventTime": when.timestamp(),
        "EventSource": "cloudtrail.amazonaws.com",
        "Username": arn.rsplit("/", 1)[-1],
        "Resources": [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": name}]
        if name else [],
        "CloudTrailEvent": json.dumps(record),
    }
    with EVENTS_LOCK:
        EVENTS.setdefault((account, region), []).append(event)


# How many reads --busy-history seeds: more than LookupEvents' page of 50.
BUSY_READS = 120


def seed_busy_history(account: str, region: str, reads: int = BUSY_READS) -> None:
    """A SIEM's polling of the account's trails in `region`: `reads` DescribeTrails and
    GetTrailStatus calls spread over the 29 days before now, inside any default period."""
    now = datetime.now(timezone.utc)
    arn = f"arn:aws:sts::{account}:assumed-role/SiemReadOnly/poller"
    for i in range(reads):
        action = ("DescribeTrails", "GetTrailStatus")[i % 2]
        add_event(account, region, action, {}, now - timedelta(days=29) * (i + 1) / (reads + 1),
                  True, arn, "ASIASIEMPOLLER", "198.51.100.7", "siem-poller/1.0")


_call_action_before_history = BaseResponse.call_action


def call_action_recording_trail_changes(self):
    answer = _call_action_before_history(self)
    action = self._get_action()
    status = answer[0] if isinstance(answer, tuple) else 200
    if self.service_name == "cloudtrail" and status == 200:
        if action in TRAIL_CHANGES:
            record_event(self, action)
        elif action in CLOUDTRAIL_READS:
            record_event(self, action, read_only=True)
    return answer


BaseResponse.call_action = call_action_recording_trail_changes


class LookupError_(JsonRESTError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def event_matches(event: dict, key: str, value: str) -> bool:
    if key == "Username":
        return event["Username"] == value
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event["Resources"])
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event["Resources"])
    if key == "AccessKeyId":
        return event["AccessKeyId"] == value
    return str(event[key]) == value


def within_lookup_rate(account: str, region: str) -> bool:
    """Whether one more lookup now stays within the account-region's rate; if so, it counts."""
    now = time.time()
    with EVENTS_LOCK:
        recent = [t for t in LOOKUP_REQUESTS.get((account, region), []) if t > now - 1.0]
        limit = LOOKUP_RATE - (1 if account in LOOKUP_SHARED else 0)
        if len(recent) >= limit:
            LOOKUP_REQUESTS[(account, region)] = recent
            return False
        LOOKUP_REQUESTS[(account, region)] = recent + [now]
        return True


RATE_CHECKED = "emulator.lookup-rate-checked"
_injected_fault_before_history = injected_fault


def injected_fault_with_lookup_rate(service, account, action, request):
    """The rate limit is checked with the armed faults when requests are logged, so that a
    lookup the limit refuses is logged as the throttling it is."""
    if service == "cloudtrail" and action == "LookupEvents":
        scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", request.headers.get("Authorization", ""))
        request.environ[RATE_CHECKED] = True
        if scope and not within_lookup_rate(account, scope.group(1)):
            # As the storm's throttles are answered: logged with AWS's code, HTTP 400.
            return "throttling", InjectedFault("ThrottlingException", "Rate exceeded", 400)
    return _injected_fault_before_history(service, account, action, request)


injected_fault = injected_fault_with_lookup_rate


def lookup_events(self):
    account, region = self.current_account, self.region
    now = time.time()
    request = getattr(self, "emulator_request", None)
    checked = request is not None and request.environ.get(RATE_CHECKED)
    if not checked and not within_lookup_rate(account, region):
        raise LookupError_("ThrottlingException", "Rate exceeded")
    with EVENTS_LOCK:
        events = list(EVENTS.get((account, region), []))
    attributes = self._get_param("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_ATTRIBUTES:
            raise LookupError_("InvalidLookupAttributesException",
                               f"Unknown lookup attribute {attribute.get('AttributeKey')}")
    start = self._get_param("StartTime")
    end = self._get_param("EndTime")
    if start is not None and end is not None and float(start) > float(end):
        raise LookupError_("InvalidTimeRangeException",
                           "Start time must be before end time.")
    limit = self._get_param("MaxResults") or 50
    if not 1 <= int(limit) <= 50:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be from 1 to 50.")
    oldest = now - 90 * 24 * 3600  # "events that occurred in a Region within the last 90 days"
    chosen = [
        e for e in events
        if e["EventTime"] >= oldest
        and (start is None or e["EventTime"] >= float(start))
        and (end is None or e["EventTime"] <= float(end))
        and all(event_matches(e, a["AttributeKey"], a["AttributeValue"]) for a in attributes)
    ]
    chosen.sort(key=lambda e: e["EventTime"], reverse=True)  # newest first
    query = json.dumps([attributes, start, end])
    offset = 0
    token = self._get_param("NextToken")
    if token:
        try:
            saved = json.loads(base64.b64decode(token))
            assert saved["query"] == query
            offset = int(saved["offset"])
        except Exception:  # noqa: BLE001
            raise LookupError_("InvalidNextTokenException", "Invalid NextToken.") from None
    page = chosen[offset: offset + int(limit)]
    answer = {"Events": page}
    if offset + int(limit) < len(chosen):
        answer["NextToken"] = base64.b64encode(
            json.dumps({"query": query, "offset": offset + int(limit)}).encode()).decode()
    return json.dumps(answer)


CloudTrailResponse.lookup_events = lookup_events


@contextmanager
def back_dated(when: datetime):
    """CloudTrail calls made inside are recorded at `when` (one second apart, in order)."""
    global EVENT_CLOCK
    before = EVENT_CLOCK
    EVENT_CLOCK = when
    try:
        yield
    finally:
        EVENT_CLOCK = before


def ago(days: float = 0, hours: float = 0) -> datetime:
    return SEEDED_AT - timedelta(days=days, hours=hours)


SEEDED_AT = datetime.now(timezone.utc)


def trail_client(org: "Org", account_id: str, region: str = "us-east-1"):
    return org.inside(account_id)("cloudtrail", region)


def seed_history(org: Org) -> None:
    """Issue 22's cases, each in its own account with one multi-region trail set up long ago,
    then changed at back-dated instants inside (or before) the default 30-day period."""
    org.trail(MANAGEMENT_ACCOUNT, "management-trail", cloudwatch_age_hours=1, **BY_THE_BOOK)
    steady = org.account("steady")
    org.trail(steady, "main", **MULTI_REGION)

    restarted = org.account("stopped-and-restarted")
    org.trail(restarted, "main", **MULTI_REGION)
    with back_dated(ago(days=10)):
        trail_client(org, restarted).stop_logging(Name="main")
    with back_dated(ago(days=8)):
        trail_client(org, restarted).start_logging(Name="main")

    before = org.account("stopped-before-period")
    org.trail(before, "main", **MULTI_REGION)
    with back_dated(ago(days=60)):
        trail_client(org, before).stop_logging(Name="main")
    with back_dated(ago(days=50)):
        trail_client(org, before).start_logging(Name="main")

    still = org.account("still-stopped")
    org.trail(still, "main", **MULTI_REGION)
    with back_dated(ago(days=5)):
        trail_client(org, still).stop_logging(Name="main")

    two = org.account("one-of-two-stopped")
    org.trail(two, "first", **MULTI_REGION)
    org.trail(two, "second", region="eu-west-1", **MULTI_REGION)
    with back_dated(ago(days=10)):
        trail_client(org, two).stop_logging(Name="first")
    with back_dated(ago(days=9)):
        trail_client(org, two).start_logging(Name="first")

    narrowed = org.account("narrowed-to-writes")
    org.trail(narrowed, "main", **MULTI_REGION)
    with back_dated(ago(days=12)):
        trail_client(org, narrowed).put_event_selectors(TrailName="main", EventSelectors=[
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    with back_dated(ago(days=9)):
        trail_client(org, narrowed).put_event_selectors(TrailName="main", EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True}])

    recreated = org.account("deleted-and-recreated")
    org.trail(recreated, "main", **MULTI_REGION)
    with back_dated(ago(days=7)):
        trail_client(org, recreated).delete_trail(Name="main")
    with back_dated(ago(days=6)):
        trail_client(org, recreated).create_trail(
            Name="main", S3BucketName=f"main-{recreated}-logs", IsMultiRegionTrail=True)
    with back_dated(ago(days=6, hours=-1)):
        trail_client(org, recreated).start_logging(Name="main")

    benign = org.account("cloudwatch-added")
    org.trail(benign, "main", **MULTI_REGION)
    with back_dated(ago(days=4)):
        trail_client(org, benign).update_trail(
            Name="main",
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{benign}:log-group:main:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{benign}:role/main-to-logs")


def seed_history_organization_trail(org: Org) -> None:
    """An organization trail stopped for two hours three days ago: every member it covers had a
    gap, and the history that shows it is the management account's."""
    org.trail(MANAGEMENT_ACCOUNT, "org-trail", region="eu-central-1", cloudwatch_age_hours=1,
              IsOrganizationTrail=True, **BY_THE_BOOK)
    for name in ("covered-by-org-trail", "also-covered"):
        org.account(name)
    own = org.account("own-trail-too")
    org.trail(own, "main", **MULTI_REGION)
    with back_dated(ago(days=3)):
        trail_client(org, MANAGEMENT_ACCOUNT, "eu-central-1").stop_logging(Name="org-trail")
    with back_dated(ago(days=3, hours=-2)):
        trail_client(org, MANAGEMENT_ACCOUNT, "eu-central-1").start_logging(Name="org-trail")


SCENARIOS["history"] = seed_history
SCENARIOS["history-organization-trail"] = seed_history_organization_trail


def main() -> None:
    global EXTERNAL_ID, EVENT_CLOCK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted([*SCENARIOS, NO_ORGANIZATION, "scale"]),
                        required=True)
    parser.add_argument("--scale", type=int, metavar="N",
                        help="with --scenario scale: how many member accounts")
    parser.add_argument("--request-log", help="append every call made after seeding, as JSON lines")
    add_issue21_arguments(parser)
    parser.add_argument("--throttle", type=float, default=0.0, help="share of calls throttled")
    parser.add_argument("--server-errors", type=float, default=0.0,
                        help="share of calls answered with a 500 internal error")
    parser.add_argument("--drops", type=float, default=0.0,
                        help="share of calls whose connection is closed without an answer")
    parser.add_argument("--faults-in-a-row", type=int, metavar="N",
                        help="never fault one request more than N times in a row")
    parser.add_argument("--each-fault-first", action="store_true",
                        help="fault the first request to each service with each kind in turn")
    parser.add_argument("--external-id", default=EXTERNAL_ID,
                        help="the external ID the external-id member's trust policy asks for")
    parser.add_argument("--deny", action="append", default=[], metavar="ACCOUNT:Action",
                        help="answer AccessDenied to this action in this account (name or id)")
    parser.add_argument("--throttle-always", action="append", default=[], metavar="ACCOUNT:Action",
                        help="answer this action in this account with throttling, every time")
    parser.add_argument("--slow", action="append", default=[], metavar="ACCOUNT:SECONDS",
                        help="delay this account's CloudTrail answers")
    # Issue 14: partial answers, opt-in regions, organization trails, time.
    parser.add_argument("--deny-trail", action="append", default=[],
                        metavar="ACCOUNT:Action:TRAIL",
                        help="answer AccessDenied to this action on this one trail")
    parser.add_argument("--delete-trail-after", action="append", default=[],
                        metavar="ACCOUNT:Action:TRAIL",
                        help="delete the trail once the account's Action has been answered")
    parser.add_argument("--refuse-disabled-opt-in-regions", action="store_true",
                        help="answer UnrecognizedClientException to requests signed for an "
                             "opt-in region the account has not enabled")
    parser.add_argument("--enable-opt-in-region", action="append", default=[],
                        metavar="ACCOUNT:REGION", help="this account has enabled this region")
    parser.add_argument("--hide-organization-trails-from-member-listings", action="store_true",
                        help="members' ListTrails leaves out organization trails")
    parser.add_argument("--cloudwatch-stale-after", action="append", default=[],
                        metavar="ACCOUNT:SECONDS",
                        help="fix the account's CloudWatch Logs deliveries at 24 h minus SECONDS "
                             "before the emulator is ready: stale SECONDS later")
    parser.add_argument("--lookup-shared", action="append", default=[], metavar="ACCOUNT",
                        help="another client uses one of this account's two LookupEvents a second")
    parser.add_argument("--busy-history", action="append", default=[], metavar="ACCOUNT:REGION",
                        help=f"seed {BUSY_READS} CloudTrail reads (a SIEM's polling) over the 29 "
                             "days before now in this account's region: more than a page")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="delay every answer by this many milliseconds once seeded")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto warns that STS has no modelled AccessDenied shape; the SDK reads the code all the same.
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")

    EXTERNAL_ID = args.external_id
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    EVENT_CLOCK = datetime.now(timezone.utc) - SEEDED_LONG_AGO  # what seeding sets up, long ago
    endpoint = f"http://{host}:{port}"
    if args.scenario == NO_ORGANIZATION:
        org = Org(endpoint, create=False)
    elif args.scenario == "scale":
        org = Org(endpoint)
        seed_scale(org, args.scale or 50)
    else:
        org = Org(endpoint)
        SCENARIOS[args.scenario](org)
    global REQUEST_LOG, ISSUED_CREDENTIALS
    EVENT_CLOCK = None  # what happens from now on happens now
    if args.request_log:
        REQUEST_LOG = open(args.request_log, "a", encoding="utf-8")
        ISSUED_CREDENTIALS = open(args.request_log + ".credentials", "a", encoding="utf-8")
    arm(args, org)
    print(json.dumps({"endpoint": endpoint, "accounts": org.accounts, "units": org.units,
                      "credentials": org.credentials}), flush=True)
    # Serve until the harness closes our stdin (or dies). Each line it writes meanwhile, a JSON
    # list of fault flags, arms those faults from then on, and is acknowledged with a line.
    for line in sys.stdin:
        flags = json.loads(line)
        arm(parser.parse_args(["--scenario", args.scenario, *flags]), org)
        print(json.dumps({"armed": flags}), flush=True)
    server.stop()


def arm(args, org: Org) -> None:
    """Arm the faults the flags name."""
    global THROTTLE_RATE, SERVER_ERROR_RATE, DROP_RATE, MAX_FAULTS_IN_A_ROW, EACH_FAULT_FIRST, LATENCY
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
    SERVER_ERROR_RATE = args.server_errors
    DROP_RATE = args.drops
    MAX_FAULTS_IN_A_ROW = args.faults_in_a_row
    EACH_FAULT_FIRST = args.each_fault_first
    arm_issue14(args, resolve)
    arm_issue21(args, resolve)
    LOOKUP_SHARED.update(resolve(account) for account in args.lookup_shared)
    for rule in args.busy_history:
        account, region = rule.split(":")
        seed_busy_history(resolve(account), region)
    LATENCY = args.latency / 1000


if __name__ == "__main__":
    main()
