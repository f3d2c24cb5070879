//! Shard inventories (`scan --shard K/N`, run on N machines) → one inventory of the organization.

use std::collections::btree_map::Entry;

use crate::model::{CollectionStats, Inventory, Readable, ServiceControlPolicies};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error(
        "inventory {0} is of organization {1:?}, the first is of {2:?}: merge shards of one scan"
    )]
    OtherOrganization(usize, Option<String>, Option<String>),
    #[error("inventory {0} audits regions {1:?}, the first audits {2:?}: run every shard with the same --regions")]
    OtherRegions(usize, Vec<String>, Vec<String>),
    #[error(
        "inventory {0} is not a shard (no --shard); merge the inventories of `scan --shard K/N`"
    )]
    NotAShard(usize),
    #[error(
        "the shards do not make a whole: expected 1..={count} of {count} once each, got {got}"
    )]
    Incomplete { count: u32, got: String },
    #[error("account {0} is in more than one shard")]
    Duplicate(String),
}

/// One inventory holding every shard's accounts, as a single scan would have written it.
pub fn merge(parts: Vec<Inventory>) -> Result<Inventory, MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    let count = first
        .shard
        .map(|s| s.count)
        .ok_or(MergeError::NotAShard(1))?;
    let mut indices = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let position = n + 1;
        if part.organization.id != first.organization.id {
            return Err(MergeError::OtherOrganization(
                position,
                part.organization.id.clone(),
                first.organization.id.clone(),
            ));
        }
        if part.regions != first.regions {
            return Err(MergeError::OtherRegions(
                position,
                part.regions.clone(),
                first.regions.clone(),
            ));
        }
        let shard = part.shard.ok_or(MergeError::NotAShard(position))?;
        indices.push((shard.count, shard.index));
    }
    indices.sort_unstable();
    let whole: Vec<(u32, u32)> = (1..=count).map(|index| (count, index)).collect();
    if indices != whole {
        let got: Vec<String> = indices.iter().map(|(c, i)| format!("{i}/{c}")).collect();
        return Err(MergeError::Incomplete {
            count,
            got: got.join(", "),
        });
    }

    let mut merged = first.clone();
    merged.shard = None;
    merged.accounts.clear();
    merged.collected_at = parts
        .iter()
        .map(|p| p.collected_at)
        .min()
        .unwrap_or(first.collected_at);
    let mut stats = CollectionStats::default();
    for part in &parts {
        if let Some(part_stats) = &part.collection {
            // Shards run side by side: the whole took as long as the slowest.
            stats.seconds = stats.seconds.max(part_stats.seconds);
            stats.api_calls += part_stats.api_calls;
            stats.retries += part_stats.retries;
            stats.throttling_retries += part_stats.throttling_retries;
            stats
                .entered_for_resources
                .extend(part_stats.entered_for_resources.iter().cloned());
        }
    }
    stats.entered_for_resources.sort();
    stats.entered_for_resources.dedup();
    merged.collection = Some(stats);
    merged.service_control_policies = merge_policies(&parts);
    for part in parts {
        // Each account keeps its own collection time; one from a shard written before accounts
        // were stamped takes its shard's, never the earliest shard's, so a delivery that was
        // stale when a late shard read it cannot pass.
        let shard_time = part.collected_at;
        merged
            .accounts
            .extend(part.accounts.into_iter().map(|mut account| {
                account.collected_at.get_or_insert(shard_time);
                account
            }));
    }
    merged
        .accounts
        .sort_by(|a, b| a.account.id.cmp(&b.account.id));
    if let Some(pair) = merged
        .accounts
        .windows(2)
        .find(|w| w[0].account.id == w[1].account.id)
    {
        return Err(MergeError::Duplicate(pair[0].account.id.clone()));
    }
    // An account one shard entered for a bucket or key that another shard audits is audited.
    if let Some(stats) = merged.collection.as_mut() {
        let audited: Vec<&str> = merged
            .accounts
            .iter()
            .filter(|a| matches!(a.audit, crate::model::Audit::Audited))
            .map(|a| a.account.id.as_str())
            .collect();
        stats
            .entered_for_resources
            .retain(|id| !audited.contains(&id.as_str()));
    }
    // An organization trail one shard found applies to the members of every shard.
    crate::collect::share_organization_trails(&mut merged.accounts);
    Ok(merged)
}

/// Each shard read the policies over its own accounts: together they are the whole set. What one
/// shard read stands over another's failure to read the same thing.
fn merge_policies(parts: &[Inventory]) -> Option<ServiceControlPolicies> {
    let mut read = parts
        .iter()
        .filter_map(|p| p.service_control_policies.as_ref());
    let mut merged = read.next()?.clone();
    for part in read {
        for (target, attached) in &part.attached {
            keep_best(merged.attached.entry(target.clone()), attached);
        }
        for (id, policy) in &part.policies {
            keep_best(merged.policies.entry(id.clone()), policy);
        }
    }
    Some(merged)
}

fn keep_best<T: Clone>(slot: Entry<'_, String, Readable<T>>, offered: &Readable<T>) {
    match slot {
        Entry::Vacant(slot) => {
            slot.insert(offered.clone());
        }
        Entry::Occupied(mut slot) => {
            if matches!(slot.get(), Readable::NotVerifiable { .. }) {
                slot.insert(offered.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, AccountInventory, Audit, Organization, Shard, INVENTORY_SCHEMA};

    fn shard(index: u32, count: u32, ids: &[&str]) -> Inventory {
        Inventory {
            schema: INVENTORY_SCHEMA.into(),
            tool_version: "test".into(),
            collected_at: chrono::Utc::now(),
            caller_arn: "arn:aws:iam::111111111111:user/auditor".into(),
            home_region: None,
            organization: Organization {
                id: Some("o-test".into()),
                management_account_id: Some("111111111111".into()),
            },
            regions: vec!["us-east-1".into()],
            accounts: ids
                .iter()
                .map(|id| AccountInventory {
                    account: Account {
                        id: id.to_string(),
                        name: String::new(),
                        email: String::new(),
                        status: "ACTIVE".into(),
                        ou_path: None,
                        parent_ids: Vec::new(),
                    },
                    audit: Audit::Audited,
                    trails: vec![],
                    log_buckets: vec![],
                    trail_keys: vec![],
                    log_groups: Vec::new(),
                    collected_at: None,
                    history: None,
                })
                .collect(),
            collection: Some(CollectionStats {
                seconds: f64::from(index),
                api_calls: 10,
                retries: 1,
                throttling_retries: 1,
                entered_for_resources: vec![],
            }),
            settings: None,
            shard: Some(Shard { index, count }),
            service_control_policies: None,
            period: None,
        }
    }

    #[test]
    fn a_complete_set_merges_into_one_sorted_inventory() {
        let merged = merge(vec![
            shard(2, 2, &["000000000003"]),
            shard(1, 2, &["000000000002"]),
        ])
        .unwrap();
        let ids: Vec<&str> = merged
            .accounts
            .iter()
            .map(|a| a.account.id.as_str())
            .collect();
        assert_eq!(ids, ["000000000002", "000000000003"]);
        assert_eq!(merged.shard, None);
        let stats = merged.collection.unwrap();
        assert_eq!(
            (
                stats.seconds,
                stats.api_calls,
                stats.retries,
                stats.throttling_retries
            ),
            (2.0, 20, 2, 2)
        );
    }

    #[test]
    fn accounts_of_unstamped_shards_keep_their_shard_time_not_the_earliest() {
        // Shards written before accounts were stamped: each account takes its own shard's time,
        // so an account read six hours into the run is judged six hours in.
        let mut early = shard(1, 2, &["000000000002"]);
        let mut late = shard(2, 2, &["000000000003"]);
        early.collected_at = "2026-11-01T00:00:00Z".parse().unwrap();
        late.collected_at = "2026-11-01T06:00:00Z".parse().unwrap();
        let stamped: chrono::DateTime<chrono::Utc> = "2026-11-01T07:00:00Z".parse().unwrap();
        late.accounts[0].collected_at = None;
        let mut stamped_shard = late.clone();
        stamped_shard.accounts[0].collected_at = Some(stamped);
        let merged = merge(vec![early.clone(), late.clone()]).unwrap();
        assert_eq!(merged.collected_at, early.collected_at);
        assert_eq!(merged.accounts[0].collected_at, Some(early.collected_at));
        assert_eq!(merged.accounts[1].collected_at, Some(late.collected_at));
        // An account's own stamp is kept as it is.
        let merged = merge(vec![early, stamped_shard]).unwrap();
        assert_eq!(merged.accounts[1].collected_at, Some(stamped));
    }

    #[test]
    fn incomplete_duplicated_or_foreign_sets_are_refused() {
        let missing = merge(vec![shard(1, 3, &[]), shard(3, 3, &[])]).unwrap_err();
        assert!(missing.to_string().contains("got 1/3, 3/3"), "{missing}");
        // The same shard twice: shard 2 is missing, and the message shows both copies.
        let twice = merge(vec![shard(1, 2, &[]), shard(1, 2, &[])]).unwrap_err();
        assert!(
            matches!(&twice, MergeError::Incomplete { count: 2, got } if got == "1/2, 1/2"),
            "{twice:?}"
        );
        // Shards of one run never share an account; inventories that do are refused by name.
        let shared = merge(vec![
            shard(1, 2, &["000000000002", "000000000003"]),
            shard(2, 2, &["000000000003"]),
        ])
        .unwrap_err();
        assert!(
            matches!(&shared, MergeError::Duplicate(id) if id == "000000000003"),
            "{shared:?}"
        );
        let mut other = shard(2, 2, &[]);
        other.regions = vec!["eu-west-1".into()];
        assert!(matches!(
            merge(vec![shard(1, 2, &[]), other]),
            Err(MergeError::OtherRegions(..))
        ));
        let mut whole = shard(1, 1, &[]);
        whole.shard = None;
        assert!(matches!(merge(vec![whole]), Err(MergeError::NotAShard(1))));
    }

    #[test]
    fn shards_partition_account_ids() {
        let ids: Vec<String> = (0..1000)
            .map(|i| format!("{:012}", 123_456_000_000u64 + i * 7))
            .collect();
        for count in [1, 2, 3, 8] {
            for id in &ids {
                let owners = (1..=count)
                    .filter(|&index| Shard { index, count }.contains(id))
                    .count();
                assert_eq!(owners, 1, "{id} in {owners} of {count} shards");
            }
        }
    }

    #[test]
    fn shard_syntax_is_k_of_n() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["0/2", "3/2", "2", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
