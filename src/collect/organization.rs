//! Organization trails apply to every account of the organization: "a trail with the name that
//! you give it is created in every AWS account that belongs to your organization"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html>).
//! Whether a member's own `ListTrails` shows it is less clearly documented, so an organization
//! trail found anywhere in the run (the management account's trails or any member's listing) is
//! given to every ACTIVE member audited, with the state its owner's credentials read.

use crate::model::{AccountInventory, Audit, LogBucket, Readable, Trail, TrailKey};

/// Give every audited ACTIVE account the organization trails found in any audited account that
/// it does not list itself. Pure: used after collection, and again after `orgtrail merge` so
/// shards see each other's findings.
pub fn share_organization_trails(accounts: &mut [AccountInventory]) {
    // Each trail with the bucket and key entries of the account it was found in: read once as
    // their owner (`read_trail_resources`), they are the same for every member.
    let mut found: Vec<(&Trail, &AccountInventory)> = Vec::new();
    for account in accounts
        .iter()
        .filter(|a| matches!(a.audit, Audit::Audited))
    {
        for trail in &account.trails {
            if !trail.is_organization_trail || trail.described().is_err() {
                continue;
            }
            match found.iter_mut().find(|(t, _)| t.arn == trail.arn) {
                // The copy read best wins (the owner's own has nothing unread).
                Some(known) if known.0.unread.len() > trail.unread.len() => {
                    *known = (trail, account)
                }
                Some(_) => {}
                None => found.push((trail, account)),
            }
        }
    }
    let found: Vec<(Trail, Option<LogBucket>, Option<TrailKey>)> = found
        .into_iter()
        .map(|(trail, account)| {
            let bucket = trail.s3_bucket_name.as_ref().and_then(|name| {
                account
                    .log_buckets
                    .iter()
                    .find(|b| &b.name == name)
                    .cloned()
            });
            let key = trail
                .kms_key_id
                .as_ref()
                .and_then(|arn| account.trail_keys.iter().find(|k| &k.arn == arn).cloned());
            (trail.clone(), bucket, key)
        })
        .collect();
    for account in accounts
        .iter_mut()
        .filter(|a| matches!(a.audit, Audit::Audited) && a.account.status == "ACTIVE")
    {
        for (trail, bucket_read, key_read) in &found {
            if account.trails.iter().any(|t| t.arn == trail.arn) {
                continue;
            }
            let reason = format!(
                "organization trail {} applies to this account but its own cloudtrail:ListTrails \
                 did not list it, and the account that listed it holds no reading of it",
                trail.name
            );
            if let Some(bucket) = &trail.s3_bucket_name {
                if !account.log_buckets.iter().any(|b| &b.name == bucket) {
                    account
                        .log_buckets
                        .push(bucket_read.clone().unwrap_or(LogBucket {
                            name: bucket.clone(),
                            access: Readable::NotVerifiable {
                                reason: reason.clone(),
                            },
                            read_as_owner: None,
                        }));
                }
            }
            if let Some(key) = &trail.kms_key_id {
                if !account.trail_keys.iter().any(|k| &k.arn == key) {
                    account
                        .trail_keys
                        .push(key_read.clone().unwrap_or(TrailKey {
                            arn: key.clone(),
                            rotation: Readable::NotVerifiable {
                                reason: reason.clone(),
                            },
                            read_as_owner: None,
                        }));
                }
            }
            account.trails.push(trail.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, EventSelectors, TrailStatus};

    fn account(id: &str, status: &str, audit: Audit, trails: Vec<Trail>) -> AccountInventory {
        AccountInventory {
            account: Account {
                id: id.into(),
                name: id.into(),
                email: String::new(),
                status: status.into(),
                ou_path: None,
                parent_ids: Vec::new(),
            },
            audit,
            trails,
            log_buckets: vec![],
            trail_keys: vec![],
            log_groups: Vec::new(),
            collected_at: None,
            history: None,
        }
    }

    fn organization_trail() -> Trail {
        Trail {
            name: "org".into(),
            arn: "arn:aws:cloudtrail:eu-central-1:111111111111:trail/org".into(),
            home_region: "eu-central-1".into(),
            is_multi_region: true,
            is_organization_trail: true,
            include_global_service_events: true,
            log_file_validation_enabled: true,
            s3_bucket_name: Some("org-logs".into()),
            s3_key_prefix: None,
            sns_topic_arn: None,
            kms_key_id: None,
            cloudwatch_logs_log_group_arn: None,
            cloudwatch_logs_role_arn: None,
            has_insight_selectors: false,
            status: TrailStatus {
                is_logging: true,
                ..TrailStatus::default()
            },
            event_selectors: EventSelectors::default(),
            unread: vec![],
        }
    }

    #[test]
    fn an_organization_trail_found_in_one_listing_covers_every_active_audited_member() {
        let mut accounts = vec![
            account(
                "111111111111",
                "ACTIVE",
                Audit::Audited,
                vec![organization_trail()],
            ),
            account("222222222222", "ACTIVE", Audit::Audited, vec![]),
            account(
                "333333333333",
                "ACTIVE",
                Audit::Error {
                    error: "denied".into(),
                },
                vec![],
            ),
            account("444444444444", "UNKNOWN", Audit::Audited, vec![]),
        ];
        share_organization_trails(&mut accounts);
        assert_eq!(accounts[1].trails, vec![organization_trail()]);
        // Its bucket was not read with the member's access, and the evidence will say so.
        assert!(matches!(
            accounts[1].log_buckets[0].access,
            Readable::NotVerifiable { .. }
        ));
        // Not audited, or not known to be a member: left alone.
        assert!(accounts[2].trails.is_empty() && accounts[3].trails.is_empty());
        // Nobody gets it twice.
        share_organization_trails(&mut accounts);
        assert_eq!(accounts[0].trails.len(), 1);
        assert_eq!(accounts[1].trails.len(), 1);
    }
}
