"""Ask ListTrails as a member, signed for one region: prints "ok" or the error code.

    python probe_region.py ENDPOINT ACCOUNT_ID REGION

Proves the emulator's opt-in-region mode refuses what AWS refuses, so a test that passes with it
on passes for the right reason.
"""

import sys

import boto3
from botocore.exceptions import ClientError


def main() -> int:
    endpoint, account, region = sys.argv[1:4]
    keys = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", **keys)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="probe",
    )["Credentials"]
    cloudtrail = boto3.client(
        "cloudtrail", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    try:
        cloudtrail.list_trails()
        print("ok")
    except ClientError as error:
        print(error.response["Error"]["Code"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
