//! Region names orgtrail knows: the default audit scope and what `--regions` accepts.

/// The 17 regions every commercial AWS account has enabled by default (opt-in regions excluded).
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
];

/// Every region of the `aws` partition (the one orgtrail's role ARNs are in), default and opt-in.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Where CloudTrail records the events of IAM, STS and CloudFront since 2021-11-22: a trail
/// receives them only if it is multi-region or homed here
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail-by-using-the-aws-cli-update-trail.html>).
pub const GLOBAL_SERVICE_EVENTS_REGION: &str = "us-east-1";

/// A region every account of the partition has enabled, for the per-account calls that are not
/// tied to a trail's home region (ListTrails, DescribeTrails by ARN). Regions launched before
/// 2019-03-20 are enabled by default and "cannot be enabled or disabled"; the others are opt-in,
/// and a member that has not enabled one answers requests signed for it with
/// UnrecognizedClientException
/// (<https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html>). So never
/// the operator's own SDK region, which may be an opt-in region only the caller has enabled:
/// us-east-1 in the `aws` partition, else the first audited region that is not a known opt-in
/// one, else `fallback`.
pub fn listing_region<'a>(partition: &str, audited: &'a [String], fallback: &'a str) -> &'a str {
    if partition == "aws" {
        return "us-east-1";
    }
    audited
        .iter()
        .map(String::as_str)
        .find(|r| !is_opt_in(r))
        .unwrap_or(fallback)
}

/// An `aws`-partition region launched after 2019-03-20, disabled until an account enables it.
pub fn is_opt_in(region: &str) -> bool {
    KNOWN_REGIONS.contains(&region) && !DEFAULT_REGIONS.contains(&region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_goes_to_us_east_1_in_the_aws_partition_whatever_the_audited_regions() {
        let audited = vec!["me-central-1".to_string(), "eu-west-1".to_string()];
        assert_eq!(listing_region("aws", &audited, "me-central-1"), "us-east-1");
    }

    #[test]
    fn elsewhere_listing_goes_to_the_first_audited_default_region() {
        let audited = vec!["me-central-1".to_string(), "cn-north-1".to_string()];
        assert_eq!(
            listing_region("aws-cn", &audited, "cn-northwest-1"),
            "cn-north-1"
        );
        assert_eq!(
            listing_region("aws-cn", &[], "cn-northwest-1"),
            "cn-northwest-1"
        );
    }

    #[test]
    fn opt_in_regions_are_the_known_ones_outside_the_default_seventeen() {
        assert!(is_opt_in("me-central-1") && is_opt_in("ap-east-1"));
        assert!(!is_opt_in("us-east-1") && !is_opt_in("ap-northeast-3"));
        assert_eq!(
            KNOWN_REGIONS.iter().filter(|r| is_opt_in(r)).count(),
            KNOWN_REGIONS.len() - DEFAULT_REGIONS.len()
        );
    }
}
