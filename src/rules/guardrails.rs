//! Rules on what keeps a trail from being switched off: the organization's service control
//! policies (`cloudtrail-protected-by-scp`).

use super::scp::{protection, Attached, Document, Level, Protection, Subject, TRAIL_CHANGES};
use super::verdict::{AccountTrails, Verdict};
use crate::findings::{Evidence, Status, TrailEvidence};
use crate::model::{Readable, ServiceControlPolicies, Trail, NO_ORGANIZATION};

/// The statement the remediation offers: Control Tower's mandatory control does the same for its
/// own trail (AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED).
pub const MINIMAL_STATEMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ProtectTrails","Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail","cloudtrail:UpdateTrail","cloudtrail:PutEventSelectors"],"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/<trail-admin-role>"}}}]}"#;

/// Per account: are StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors denied to its
/// principals by the SCPs on its path? PASS names the policy and level that protect each action
/// and any principal exempt; FAIL names the actions left open; ERROR when a policy or an
/// attachment could not be read, or a Deny rests on a condition orgtrail cannot judge.
pub fn protected_by_scp(account: &AccountTrails) -> Verdict {
    let placement = &account.placement;
    if placement.management_account_id == Some(account.account_id) {
        return management_account();
    }
    let Some(policies) = placement.service_control_policies else {
        return error(
            "Not read: the organization's service control policies were not read (no \
             organization, or an inventory written before orgtrail read them)"
                .to_string(),
            "Run orgtrail scan with credentials of the management account or of a delegated \
             administrator for AWS Organizations",
        );
    };
    if let Some(off) = match enforced(policies) {
        Ok(off) => off,
        Err(unread) => return error(format!("Not read: {unread}"), READ_ACCESS),
    } {
        return Verdict {
            status: Status::Fail,
            evidence: Evidence {
                summary: format!("No SCP protects this account's trails: {off}"),
                ..Evidence::default()
            },
            fix: Some(format!(
                "Enable service control policies (aws organizations enable-policy-type \
                 --root-id <root-id> --policy-type SERVICE_CONTROL_POLICY), then attach to the \
                 root or the account's OUs an SCP with:\n{MINIMAL_STATEMENT}"
            )),
        };
    }
    let levels = match levels(account, policies) {
        Ok(levels) => levels,
        Err(unread) => return error(format!("Not read: {unread}"), READ_ACCESS),
    };
    judge(account, &levels)
}

const READ_ACCESS: &str = "Let the scanning identity call organizations:DescribeOrganization, \
    ListRoots, ListPoliciesForTarget and DescribePolicy (the management account, or a delegated \
    administrator for AWS Organizations), then scan again";

fn error(summary: String, fix: &str) -> Verdict {
    Verdict {
        status: Status::Error,
        evidence: Evidence {
            summary,
            ..Evidence::default()
        },
        fix: Some(fix.to_string()),
    }
}

/// "SCPs don't affect users or roles in the management account. They affect only the member
/// accounts in your organization" (Organizations user guide, "Service control policies (SCPs)",
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>).
/// No policy can be missing there, so the organization does not fail on it; who may sign in is
/// the control that remains, and the finding says so.
fn management_account() -> Verdict {
    Verdict {
        status: Status::Pass,
        evidence: Evidence {
            summary: "Not applicable: this is the management account, which service control \
                      policies never restrict; its trails are protected only by who may sign in \
                      there"
                .to_string(),
            trails: Vec::new(),
            intervals: Vec::new(),
            changes: Vec::new(),
            warnings: vec![
                "SCPs do not apply to the management account: restrict who may sign in to it \
                 and who may assume its roles"
                    .to_string(),
            ],
        },
        fix: Some(
            "Limit who may sign in to the management account and assume its roles: keep it for \
             Organizations administration alone (no workloads), MFA on its root user, and IAM \
             policies there that deny trail changes to all but a trail administrator role, since \
             SCPs do not apply"
                .to_string(),
        ),
    }
}

/// `Ok(Some(reason))` when SCPs are not in force in the organization.
fn enforced(policies: &ServiceControlPolicies) -> Result<Option<String>, String> {
    let feature_set = read(&policies.feature_set)?;
    if feature_set == NO_ORGANIZATION {
        return Ok(Some(
            "the account is in no AWS Organization, so no service control policy applies to it"
                .to_string(),
        ));
    }
    if feature_set != "ALL" {
        return Ok(Some(format!(
            "the organization's feature set is {feature_set}: service control policies exist \
             only with all features enabled"
        )));
    }
    match read(&policies.root_status)? {
        Some(status) if status == "ENABLED" => Ok(None),
        Some(status) => Ok(Some(format!(
            "the SERVICE_CONTROL_POLICY policy type is {status} at the root, not ENABLED"
        ))),
        None => Ok(Some(
            "the SERVICE_CONTROL_POLICY policy type is not enabled at the root".to_string(),
        )),
    }
}

fn read<T>(readable: &Readable<T>) -> Result<&T, String> {
    match readable {
        Readable::Read(value) => Ok(value),
        Readable::NotVerifiable { reason } => Err(reason.clone()),
    }
}

/// The root, each OU and the account, with the SCPs attached to each, parsed.
fn levels<'a>(
    account: &AccountTrails,
    policies: &'a ServiceControlPolicies,
) -> Result<Vec<Level<'a>>, String> {
    if account.placement.parent_ids.is_empty() {
        return Err(
            "the account's place in the organization (its root and OUs) is not known, so the \
             SCPs that apply to it are not either"
                .to_string(),
        );
    }
    account
        .placement
        .parent_ids
        .iter()
        .map(String::as_str)
        .chain([account.account_id])
        .map(|target| {
            let attached = policies
                .attached
                .get(target)
                .ok_or_else(|| format!("the SCPs attached to {target} were not read"))?;
            let ids = read(attached)?;
            let policies = ids
                .iter()
                .map(|id| {
                    let policy = policies
                        .policies
                        .get(id)
                        .ok_or_else(|| format!("SCP {id} was not read"))?;
                    let policy = read(policy)?;
                    let document = Document::parse(&policy.content)
                        .map_err(|e| format!("SCP {id} ({}): {e}", policy.name))?;
                    Ok(Attached {
                        id,
                        name: &policy.name,
                        document,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(Level {
                label: label(target),
                policies,
            })
        })
        .collect()
}

fn label(target: &str) -> String {
    if target.starts_with("r-") {
        format!("root {target}")
    } else if target.starts_with("ou-") {
        format!("OU {target}")
    } else {
        format!("account {target}")
    }
}

/// How each trail-changing action stands: for every trail when one policy covers them all,
/// else trail by trail.
fn judge(account: &AccountTrails, levels: &[Level]) -> Verdict {
    let partition = account
        .trails
        .first()
        .and_then(|t| t.arn.split(':').nth(1))
        .unwrap_or("aws");
    let mut protected = Vec::new();
    let mut open = Vec::new();
    let mut unjudged = Vec::new();
    let mut only_some_trails = Vec::new();
    let trails: Vec<&Trail> = account.trails.iter().collect();
    for action in TRAIL_CHANGES {
        let every = protection(levels, action, Subject::EveryTrail(partition));
        if every.protects() {
            protected.push((action.to_string(), every.describe()));
            continue;
        }
        let per_trail: Vec<(&Trail, Protection)> = trails
            .iter()
            .map(|t| (*t, protection(levels, action, Subject::Trail(&t.arn))))
            .collect();
        if !per_trail.is_empty() && per_trail.iter().all(|(_, p)| p.protects()) {
            let names: Vec<&str> = per_trail.iter().map(|(t, _)| t.name.as_str()).collect();
            protected.push((
                format!("{action} on {}", names.join(", ")),
                per_trail[0].1.describe(),
            ));
            only_some_trails.push(action);
            continue;
        }
        // The account's trails decide; with none, every trail does.
        let considered: Vec<(Option<&Trail>, &Protection)> = if per_trail.is_empty() {
            vec![(None, &every)]
        } else {
            per_trail.iter().map(|(t, p)| (Some(*t), p)).collect()
        };
        let left: Vec<&str> = considered
            .iter()
            .filter(|(_, p)| !p.protects())
            .map(|(t, _)| t.map_or("every trail", |t| t.name.as_str()))
            .collect();
        let line = |p: &Protection| format!("{action} on {}: {}", left.join(", "), p.describe());
        match considered.iter().find(|(_, p)| **p == Protection::Allowed) {
            Some((_, allowed)) => open.push(line(allowed)),
            None => {
                if let Some((_, unsure)) = considered.iter().find(|(_, p)| !p.protects()) {
                    unjudged.push(line(unsure));
                }
            }
        }
    }
    let evidence_trails = trails
        .iter()
        .map(|trail| trail_evidence(levels, trail))
        .collect();
    let mut warnings = Vec::new();
    if !only_some_trails.is_empty() {
        warnings.push(format!(
            "{} denied only on this account's present trails (the Deny names some trails): a \
             trail created later is not protected",
            only_some_trails.join(", ")
        ));
    }
    let (status, summary, fix) = if !open.is_empty() {
        (
            Status::Fail,
            format!(
                "Trail changes left open by the SCPs on this account's path: {}{}",
                open.join("; "),
                also(&grouped(&protected), &unjudged)
            ),
            Some(format!(
                "Attach to the root, or to an OU above this account ({}), an SCP with:\n\
                 {MINIMAL_STATEMENT}\nor enable Control Tower's AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
                account.placement.parent_ids.join(" > ")
            )),
        )
    } else if !unjudged.is_empty() {
        (
            Status::Error,
            format!(
                "Undecided: a Deny rests on a condition orgtrail cannot judge: {}{}",
                unjudged.join("; "),
                also(&grouped(&protected), &[])
            ),
            Some(format!(
                "Protect the trail changes with a Deny whose only condition is an \
                 aws:PrincipalArn exemption, which can be read without knowing the request:\n\
                 {MINIMAL_STATEMENT}"
            )),
        )
    } else {
        (
            Status::Pass,
            format!(
                "Trail changes denied by SCP to this account's principals: {}",
                grouped(&protected).join("; ")
            ),
            None,
        )
    };
    Verdict {
        status,
        evidence: Evidence {
            summary,
            trails: evidence_trails,
            intervals: Vec::new(),
            changes: Vec::new(),
            warnings,
        },
        fix,
    }
}

/// "A, B: why" for actions protected for the same reason, so one policy is named once.
fn grouped(protected: &[(String, String)]) -> Vec<String> {
    let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
    for (action, why) in protected {
        match groups.iter_mut().find(|(_, w)| w == why) {
            Some((actions, _)) => actions.push(action),
            None => groups.push((vec![action], why)),
        }
    }
    groups
        .into_iter()
        .map(|(actions, why)| format!("{}: {why}", actions.join(", ")))
        .collect()
}

fn also(protected: &[String], unjudged: &[String]) -> String {
    let mut text = String::new();
    if !unjudged.is_empty() {
        text.push_str(&format!(". Undecided: {}", unjudged.join("; ")));
    }
    if !protected.is_empty() {
        text.push_str(&format!(". Protected: {}", protected.join("; ")));
    }
    text
}

fn trail_evidence(levels: &[Level], trail: &Trail) -> TrailEvidence {
    let judged: Vec<(&str, Protection)> = TRAIL_CHANGES
        .iter()
        .map(|action| {
            (
                *action,
                protection(levels, action, Subject::Trail(&trail.arn)),
            )
        })
        .collect();
    let meets = judged.iter().all(|(_, p)| p.protects());
    let open: Vec<&str> = judged
        .iter()
        .filter(|(_, p)| !p.protects())
        .map(|(a, _)| *a)
        .collect();
    let detail = if meets {
        format!("every trail change denied ({})", judged[0].1.describe())
    } else {
        format!("not denied: {}", open.join(", "))
    };
    TrailEvidence::of(trail, meets, detail)
}

#[cfg(test)]
mod tests {
    use super::super::catalogue_tests::{run_as, Account, ACCOUNT, MANAGEMENT, OU, ROOT};
    use crate::findings::Status;
    use crate::model::{Readable, ServiceControlPolicy};

    const RULE: &str = "cloudtrail-protected-by-scp";

    fn with_guard(at: &str, content: &str) -> Account {
        let mut account = Account::by_the_book();
        account
            .policies
            .attached
            .insert(ROOT.into(), Readable::Read(vec!["p-FullAWSAccess".into()]));
        account.policies.attached.insert(
            at.into(),
            Readable::Read(vec!["p-FullAWSAccess".into(), "p-other".into()]),
        );
        account.policies.policies.insert(
            "p-other".into(),
            Readable::Read(ServiceControlPolicy {
                name: "other".into(),
                aws_managed: false,
                content: content.into(),
            }),
        );
        account
    }

    #[test]
    fn a_guardrail_at_the_root_passes_naming_the_policy_level_and_exempt_role_once() {
        let verdict = Account::by_the_book().run(RULE);
        assert_eq!(verdict.status, Status::Pass);
        assert_eq!(
            verdict.evidence.summary,
            "Trail changes denied by SCP to this account's principals: cloudtrail:StopLogging, \
             cloudtrail:DeleteTrail, cloudtrail:UpdateTrail, cloudtrail:PutEventSelectors: Deny \
             ProtectTrails in SCP p-guard (protect-trails) at root r-root, except for principals \
             arn:aws:iam::*:role/<trail-admin-role>"
        );
        assert!(verdict.evidence.trails.iter().all(|t| t.meets_rule));
    }

    #[test]
    fn full_aws_access_alone_fails_naming_every_open_action_and_the_statement_to_add() {
        let account = with_guard(OU, super::super::catalogue_tests::FULL_AWS_ACCESS);
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        for action in super::TRAIL_CHANGES {
            assert!(verdict.evidence.summary.contains(action), "{action}");
        }
        let fix = verdict.fix.unwrap();
        assert!(
            fix.contains("ArnNotLike") && fix.contains("r-root > ou-root-workloads"),
            "{fix}"
        );
    }

    #[test]
    fn control_towers_guardrail_limited_to_its_trail_protects_that_trail_and_says_so() {
        // AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED denies changes to aws-controltower-* trails only.
        let control_tower = r#"{"Version":"2012-10-17","Statement":[{"Sid":"GRCLOUDTRAILENABLED",
            "Effect":"Deny","Action":["cloudtrail:DeleteTrail","cloudtrail:PutEventSelectors",
            "cloudtrail:StopLogging","cloudtrail:UpdateTrail","cloudtrail:CreateTrail"],
            "Resource":["arn:aws:cloudtrail:*:*:trail/aws-controltower-*"],
            "Condition":{"ArnNotLike":{"aws:PrincipalARN":"arn:aws:iam::*:role/AWSControlTowerExecution"}}}]}"#;
        let mut account = with_guard(OU, control_tower);
        account.trails[0].name = "aws-controltower-BaselineCloudTrail".into();
        account.trails[0].arn = format!(
            "arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/aws-controltower-BaselineCloudTrail"
        );
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Pass, "{}", verdict.evidence.summary);
        assert!(verdict
            .evidence
            .summary
            .contains("AWSControlTowerExecution"));
        assert!(verdict.evidence.warnings[0].contains("a trail created later is not protected"));
        // A trail of the account's own outside the guardrail's names is left open.
        let mut own = account.trails[0].clone();
        own.name = "own".into();
        own.arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/own");
        account.trails.push(own);
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        assert!(
            verdict
                .evidence
                .summary
                .contains("cloudtrail:StopLogging on own"),
            "{}",
            verdict.evidence.summary
        );
    }

    #[test]
    fn a_condition_orgtrail_cannot_judge_is_an_error_naming_it() {
        let by_tag = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*",
            "Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"security"}}}]}"#;
        let verdict = with_guard(ACCOUNT, by_tag).run(RULE);
        assert_eq!(verdict.status, Status::Error);
        assert!(verdict.evidence.summary.contains("aws:PrincipalTag/team"));
    }

    #[test]
    fn the_management_account_is_never_restricted_by_scps_and_its_finding_says_so() {
        let mut management = Account::by_the_book();
        management.trails.clear();
        management.policies.attached.clear();
        let verdict = run_as(&management, MANAGEMENT, RULE);
        assert_eq!(verdict.status, Status::Pass);
        assert!(verdict.evidence.summary.contains("management account"));
        assert!(verdict.fix.unwrap().contains("sign in"));
    }

    #[test]
    fn scps_switched_off_fail_every_member_with_the_reason() {
        let mut account = Account::by_the_book();
        account.policies.root_status = Readable::Read(None);
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.evidence.summary.contains("not enabled at the root"));
        account.policies.feature_set = Readable::Read("CONSOLIDATED_BILLING".into());
        assert!(account
            .run(RULE)
            .evidence
            .summary
            .contains("CONSOLIDATED_BILLING"));
    }

    #[test]
    fn a_policy_that_could_not_be_read_is_an_error_naming_the_call() {
        let mut account = Account::by_the_book();
        account.policies.policies.insert(
            "p-guard".into(),
            Readable::NotVerifiable {
                reason:
                    "organizations:DescribePolicy on p-guard access denied (AccessDeniedException)"
                        .into(),
            },
        );
        let verdict = account.run(RULE);
        assert_eq!(verdict.status, Status::Error);
        assert!(verdict
            .evidence
            .summary
            .contains("organizations:DescribePolicy on p-guard"));
        let mut account = Account::by_the_book();
        account.parent_ids.clear();
        assert_eq!(account.run(RULE).status, Status::Error);
    }
}
