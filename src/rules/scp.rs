//! Service control policies, evaluated as AWS Organizations does, for one question: may the
//! principals of an account stop, delete or change its trails?
//!
//! "To allow a permission for a specific account, there must be explicit Allow statements at
//! every level from the root through each OU in the direct path to the account (including the
//! target account itself)", and "if any SCP at any level denies the action, it is denied"
//! (Organizations user guide, "SCP evaluation",
//! <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>).
//! So an action is protected when some level has no Allow that covers it (an allow-list
//! without CloudTrail) or some level's policy denies it. Policy grammar: "Service control
//! policies syntax" (Action / NotAction, Resource / NotResource, Condition, wildcards `*` and
//! `?`), <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html>.
//!
//! Pure: the policies come in as read, the answer goes out with the statement that decided it.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The calls that switch a trail off or narrow it: the four Control Tower's
/// AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED denies besides CreateTrail.
pub const TRAIL_CHANGES: [&str; 4] = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
];

/// One level of an account's path (the root, an OU, the account itself) and its SCPs.
pub struct Level<'a> {
    /// "root r-ab12", "OU ou-ab12-34cd5678", "account 111122223333".
    pub label: String,
    pub policies: Vec<Attached<'a>>,
}

/// An SCP attached at a level, its document parsed.
pub struct Attached<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub document: Document,
}

impl Attached<'_> {
    fn named(&self, level: &Level) -> String {
        format!("{} ({}) at {}", self.id, self.name, level.label)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    #[serde(rename = "Statement")]
    statements: OneOrMany<Statement>,
}

impl Document {
    pub fn parse(content: &str) -> Result<Document, String> {
        serde_json::from_str(content)
            .map_err(|e| format!("not a policy document orgtrail reads: {e}"))
    }

    fn statements(&self) -> &[Statement] {
        match &self.statements {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn items(&self) -> &[T] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Statement {
    #[serde(rename = "Sid")]
    sid: Option<String>,
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Action")]
    action: Option<OneOrMany<String>>,
    #[serde(rename = "NotAction")]
    not_action: Option<OneOrMany<String>>,
    #[serde(rename = "Resource")]
    resource: Option<OneOrMany<String>>,
    #[serde(rename = "NotResource")]
    not_resource: Option<OneOrMany<String>>,
    #[serde(rename = "Condition")]
    condition: Option<Map<String, Value>>,
    /// Anything else (a Principal, say): a statement orgtrail cannot fully read.
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// What the evaluation is asked about: one trail, or every trail the account has or may have.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// Every trail, in this partition ("aws", "aws-us-gov", ...).
    EveryTrail(&'a str),
    Trail(&'a str),
}

/// How one action stands for one subject under the account's SCPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    /// Denied to every principal of the account: by a Deny without condition, or because no
    /// SCP at some level allows it.
    Denied { by: String },
    /// Denied to every principal but those whose ARN matches `exempt` (a Deny with an
    /// `aws:PrincipalArn` exemption).
    DeniedExcept { by: String, exempt: Vec<String> },
    /// A Deny applies, under a condition orgtrail cannot judge: not counted as protection.
    Unjudged { by: String, condition: String },
    /// Allowed at every level and denied by none.
    Allowed,
}

impl Protection {
    pub fn protects(&self) -> bool {
        matches!(
            self,
            Protection::Denied { .. } | Protection::DeniedExcept { .. }
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Protection::Denied { by } => by.clone(),
            Protection::DeniedExcept { by, exempt } => {
                format!("{by}, except for principals {}", exempt.join(", "))
            }
            Protection::Unjudged { by, condition } => format!(
                "{by} only under a condition orgtrail cannot judge ({condition}): not counted as \
                 protection"
            ),
            Protection::Allowed => "allowed at every level, denied by no SCP".to_string(),
        }
    }
}

/// How `action` on `subject` stands under the SCPs of `levels` (root first, the account last).
pub fn protection(levels: &[Level], action: &str, subject: Subject) -> Protection {
    let mut exempted: Option<Protection> = None;
    let mut unjudged: Option<Protection> = None;
    for level in levels {
        for policy in &level.policies {
            for statement in policy.document.statements() {
                if !statement.effect.eq_ignore_ascii_case("Deny")
                    || !statement.covers_action(action)
                    || !statement.denies_on(subject)
                {
                    continue;
                }
                let by = statement_named(statement, policy, level, "Deny");
                match statement.exemption() {
                    Exemption::None => return Protection::Denied { by },
                    Exemption::Principals(exempt) => {
                        exempted.get_or_insert(Protection::DeniedExcept { by, exempt });
                    }
                    Exemption::Unjudged(condition) => {
                        unjudged.get_or_insert(Protection::Unjudged { by, condition });
                    }
                }
            }
        }
    }
    // A level whose SCPs allow nothing that covers the action denies it: the allow-list.
    if let Some(level) = levels.iter().find(|level| {
        !level.policies.iter().any(|policy| {
            policy.document.statements().iter().any(|s| {
                s.effect.eq_ignore_ascii_case("Allow")
                    && s.covers_action(action)
                    && s.may_allow_on(subject)
            })
        })
    }) {
        let attached: Vec<String> = level
            .policies
            .iter()
            .map(|p| format!("{} ({})", p.id, p.name))
            .collect();
        let by = if attached.is_empty() {
            format!(
                "no SCP is attached at {}, so nothing is allowed there",
                level.label
            )
        } else {
            format!(
                "no SCP at {} allows it ({} attached: an allow-list without it)",
                level.label,
                attached.join(", ")
            )
        };
        return Protection::Denied { by };
    }
    exempted.or(unjudged).unwrap_or(Protection::Allowed)
}

fn statement_named(
    statement: &Statement,
    policy: &Attached,
    level: &Level,
    effect: &str,
) -> String {
    let sid = statement
        .sid
        .as_deref()
        .map(|sid| format!(" {sid}"))
        .unwrap_or_default();
    format!("{effect}{sid} in SCP {}", policy.named(level))
}

enum Exemption {
    None,
    Principals(Vec<String>),
    Unjudged(String),
}

impl Statement {
    fn covers_action(&self, action: &str) -> bool {
        let matches = |patterns: &OneOrMany<String>| {
            patterns
                .items()
                .iter()
                .any(|p| glob(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
        };
        match (&self.action, &self.not_action) {
            (Some(actions), _) => matches(actions),
            (None, Some(excepted)) => !matches(excepted),
            (None, None) => false,
        }
    }

    /// Whether a Deny certainly applies to the subject: for every trail, only a resource
    /// pattern that matches any trail ARN counts.
    fn denies_on(&self, subject: Subject) -> bool {
        match (subject, &self.resource, &self.not_resource) {
            (Subject::Trail(arn), Some(resources), _) => {
                resources.items().iter().any(|p| glob(p, arn))
            }
            (Subject::Trail(arn), None, Some(excepted)) => {
                !excepted.items().iter().any(|p| glob(p, arn))
            }
            (Subject::EveryTrail(partition), Some(resources), _) => resources
                .items()
                .iter()
                .any(|p| glob(p, &every_trail(partition))),
            (Subject::EveryTrail(_), None, Some(excepted)) => {
                !excepted.items().iter().any(|p| may_name_a_trail(p))
            }
            (_, None, None) => true,
        }
    }

    /// Whether an Allow may apply to the subject: for every trail, any pattern that could
    /// match some trail ARN counts (an Allow limited to some trails still leaves those open).
    fn may_allow_on(&self, subject: Subject) -> bool {
        match (subject, &self.resource, &self.not_resource) {
            (Subject::Trail(arn), Some(resources), _) => {
                resources.items().iter().any(|p| glob(p, arn))
            }
            (Subject::Trail(arn), None, Some(excepted)) => {
                !excepted.items().iter().any(|p| glob(p, arn))
            }
            (Subject::EveryTrail(_), Some(resources), _) => {
                resources.items().iter().any(|p| may_name_a_trail(p))
            }
            (Subject::EveryTrail(partition), None, Some(excepted)) => !excepted
                .items()
                .iter()
                .any(|p| glob(p, &every_trail(partition))),
            (_, None, None) => true,
        }
    }

    /// Who a Deny's condition leaves out. A Deny applies when every condition holds; the usual
    /// exemption is `ArnNotLike` (or `StringNotLike`, `...NotEquals`) on `aws:PrincipalArn`,
    /// a key present in every request ("AWS global condition context keys"), which lets the
    /// named principals through. Any other key, operator or qualifier depends on the request,
    /// and orgtrail does not guess about it.
    fn exemption(&self) -> Exemption {
        if !self.other.is_empty() {
            let keys: Vec<&str> = self.other.keys().map(String::as_str).collect();
            return Exemption::Unjudged(format!("statement also has {}", keys.join(", ")));
        }
        let Some(condition) = self.condition.as_ref().filter(|c| !c.is_empty()) else {
            return Exemption::None;
        };
        let mut exempt = Vec::new();
        for (operator, keys) in condition {
            let negative = matches!(
                operator.trim_end_matches("IfExists"),
                "ArnNotLike"
                    | "ArnNotEquals"
                    | "StringNotLike"
                    | "StringNotEquals"
                    | "StringNotEqualsIgnoreCase"
            );
            let Some(keys) = keys.as_object().filter(|_| negative) else {
                return Exemption::Unjudged(format!("{operator} {keys}"));
            };
            for (key, values) in keys {
                if !key.eq_ignore_ascii_case("aws:PrincipalArn") {
                    return Exemption::Unjudged(format!("{operator} on {key}"));
                }
                match values {
                    Value::String(value) => exempt.push(value.clone()),
                    Value::Array(values) if values.iter().all(Value::is_string) => {
                        exempt.extend(values.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    other => return Exemption::Unjudged(format!("{operator} {key} {other}")),
                }
            }
        }
        Exemption::Principals(exempt)
    }
}

/// A trail ARN whose variable parts are a literal `*`: only a pattern with a wildcard in each
/// of those parts (`*`, `arn:aws:cloudtrail:*:*:trail/*`) matches it, so matching it means the
/// pattern matches every trail.
fn every_trail(partition: &str) -> String {
    format!("arn:{partition}:cloudtrail:*:*:trail/*")
}

/// Whether a resource pattern could match some trail's ARN.
fn may_name_a_trail(pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, service, ..] => glob(service, "cloudtrail") || service.contains('*'),
        _ => pattern.contains('*'),
    }
}

/// IAM's wildcards: `*` any run of characters, `?` any one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL_ACCESS: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const DENY_TRAIL_CHANGES: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ProtectTrails",
        "Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail","cloudtrail:PutEventSelectors"],"Resource":"*"}]}"#;
    const TRAIL: &str = "arn:aws:cloudtrail:us-east-1:222222222222:trail/main";
    const EVERY: Subject = Subject::EveryTrail("aws");

    fn level<'a>(label: &str, policies: &[(&'a str, &str)]) -> Level<'a> {
        Level {
            label: label.to_string(),
            policies: policies
                .iter()
                .map(|(id, content)| Attached {
                    id,
                    name: id,
                    document: Document::parse(content).unwrap(),
                })
                .collect(),
        }
    }

    /// Root, OU Workloads, OU Prod, the account: FullAWSAccess everywhere, plus `extra` at
    /// `at` (0 the root, 3 the account).
    fn path<'a>(at: usize, extra: &'a str) -> Vec<Level<'a>> {
        [
            "root r-1",
            "OU ou-workloads",
            "OU ou-prod",
            "account 222222222222",
        ]
        .iter()
        .enumerate()
        .map(|(i, label)| {
            if i == at {
                level(
                    label,
                    &[("p-FullAWSAccess", FULL_ACCESS), ("p-guard", extra)],
                )
            } else {
                level(label, &[("p-FullAWSAccess", FULL_ACCESS)])
            }
        })
        .collect()
    }

    fn every_change(levels: &[Level], subject: Subject) -> Vec<Protection> {
        TRAIL_CHANGES
            .iter()
            .map(|action| protection(levels, action, subject))
            .collect()
    }

    #[test]
    fn a_deny_at_the_root_an_ou_two_levels_down_or_the_account_protects_every_trail() {
        for (at, label) in [
            (0, "root r-1"),
            (2, "OU ou-prod"),
            (3, "account 222222222222"),
        ] {
            let levels = path(at, DENY_TRAIL_CHANGES);
            for verdict in every_change(&levels, EVERY) {
                assert_eq!(
                    verdict,
                    Protection::Denied {
                        by: format!("Deny ProtectTrails in SCP p-guard (p-guard) at {label}")
                    }
                );
            }
        }
    }

    #[test]
    fn full_aws_access_alone_leaves_every_change_allowed() {
        let levels = path(9, "");
        assert!(every_change(&levels, EVERY)
            .iter()
            .all(|p| *p == Protection::Allowed));
        assert_eq!(
            protection(&levels, "cloudtrail:StopLogging", Subject::Trail(TRAIL)),
            Protection::Allowed
        );
    }

    #[test]
    fn an_allow_list_without_cloudtrail_at_one_level_protects() {
        let allow_list =
            r#"{"Statement":[{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}]}"#;
        let mut levels = path(9, "");
        // The OU replaces FullAWSAccess by its allow-list.
        levels[1] = level("OU ou-workloads", &[("p-allow", allow_list)]);
        let verdict = protection(&levels, "cloudtrail:StopLogging", EVERY);
        assert!(verdict.protects());
        assert!(verdict
            .describe()
            .contains("no SCP at OU ou-workloads allows it"));
        // An allow-list with CloudTrail in it protects nothing.
        let with_cloudtrail = r#"{"Statement":[{"Effect":"Allow","Action":["ec2:*","cloudtrail:*"],"Resource":"*"}]}"#;
        levels[1] = level("OU ou-workloads", &[("p-allow", with_cloudtrail)]);
        assert_eq!(
            protection(&levels, "cloudtrail:StopLogging", EVERY),
            Protection::Allowed
        );
        // A level with no SCP at all allows nothing.
        levels[1] = level("OU ou-workloads", &[]);
        assert!(protection(&levels, "cloudtrail:DeleteTrail", EVERY).protects());
    }

    #[test]
    fn not_action_denies_everything_it_does_not_name() {
        let deny_all_but_reads = r#"{"Statement":[{"Effect":"Deny",
            "NotAction":["cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","ec2:*"],
            "Resource":"*"}]}"#;
        let levels = path(1, deny_all_but_reads);
        assert!(every_change(&levels, EVERY)
            .iter()
            .all(Protection::protects));
        // A NotAction that names a change leaves that change open.
        let leaves_stop =
            r#"{"Statement":[{"Effect":"Deny","NotAction":"cloudtrail:Stop*","Resource":"*"}]}"#;
        let levels = path(1, leaves_stop);
        assert_eq!(
            protection(&levels, "cloudtrail:StopLogging", EVERY),
            Protection::Allowed
        );
        assert!(protection(&levels, "cloudtrail:DeleteTrail", EVERY).protects());
    }

    #[test]
    fn wildcards_in_actions_match_as_iam_does() {
        let everything =
            r#"{"Statement":{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*"}}"#;
        assert!(every_change(&path(0, everything), EVERY)
            .iter()
            .all(Protection::protects));
        let stop_only =
            r#"{"Statement":[{"Effect":"Deny","Action":"CloudTrail:Stop*","Resource":"*"}]}"#;
        let levels = path(0, stop_only);
        assert!(protection(&levels, "cloudtrail:StopLogging", EVERY).protects());
        assert_eq!(
            protection(&levels, "cloudtrail:DeleteTrail", EVERY),
            Protection::Allowed
        );
        let one_char =
            r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:?eleteTrail","Resource":"*"}]}"#;
        assert!(protection(&path(0, one_char), "cloudtrail:DeleteTrail", EVERY).protects());
    }

    #[test]
    fn a_deny_with_a_principal_arn_exemption_protects_and_names_who_is_exempt() {
        let exempt = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*",
            "Condition":{"ArnNotLike":{"aws:PrincipalARN":["arn:aws:iam::*:role/TrailAdmin",
            "arn:aws:iam::*:role/AWSControlTowerExecution"]}}}]}"#;
        let verdict = protection(&path(2, exempt), "cloudtrail:StopLogging", EVERY);
        assert_eq!(
            verdict,
            Protection::DeniedExcept {
                by: "Deny in SCP p-guard (p-guard) at OU ou-prod".into(),
                exempt: vec![
                    "arn:aws:iam::*:role/TrailAdmin".into(),
                    "arn:aws:iam::*:role/AWSControlTowerExecution".into()
                ]
            }
        );
        assert!(verdict.protects());
        // A Deny without exemption elsewhere on the path is the stronger answer.
        let mut levels = path(2, exempt);
        levels[0] = level(
            "root r-1",
            &[
                ("p-FullAWSAccess", FULL_ACCESS),
                ("p-root", DENY_TRAIL_CHANGES),
            ],
        );
        assert!(matches!(
            protection(&levels, "cloudtrail:StopLogging", EVERY),
            Protection::Denied { .. }
        ));
    }

    #[test]
    fn a_deny_limited_to_one_trail_protects_that_trail_only() {
        let one_trail = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*",
            "Resource":"arn:aws:cloudtrail:*:*:trail/main"}]}"#;
        let levels = path(0, one_trail);
        assert!(protection(&levels, "cloudtrail:StopLogging", Subject::Trail(TRAIL)).protects());
        assert_eq!(
            protection(
                &levels,
                "cloudtrail:StopLogging",
                Subject::Trail("arn:aws:cloudtrail:us-east-1:222222222222:trail/other")
            ),
            Protection::Allowed
        );
        assert_eq!(
            protection(&levels, "cloudtrail:StopLogging", EVERY),
            Protection::Allowed,
            "a Deny on one trail does not protect every trail"
        );
        // Every trail in every region and account: the wildcard ARN does.
        let every = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*",
            "Resource":"arn:aws:cloudtrail:*:*:trail/*"}]}"#;
        assert!(protection(&path(0, every), "cloudtrail:StopLogging", EVERY).protects());
        // NotResource leaving out one trail leaves that one open.
        let but_one = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*",
            "NotResource":"arn:aws:cloudtrail:*:*:trail/sandbox"}]}"#;
        let levels = path(0, but_one);
        assert!(protection(&levels, "cloudtrail:StopLogging", Subject::Trail(TRAIL)).protects());
        assert!(!protection(&levels, "cloudtrail:StopLogging", EVERY).protects());
    }

    #[test]
    fn a_condition_that_cannot_be_judged_is_reported_never_counted_as_protection() {
        let by_tag = r#"{"Statement":[{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*",
            "Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"security"}}}]}"#;
        let verdict = protection(&path(1, by_tag), "cloudtrail:StopLogging", EVERY);
        assert!(!verdict.protects());
        assert!(
            matches!(&verdict, Protection::Unjudged { condition, .. } if condition.contains("aws:PrincipalTag/team")),
            "{verdict:?}"
        );
        assert!(verdict.describe().contains("cannot judge"));
        // A time window, or a principal exemption with another key next to it, likewise.
        for condition in [
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin","aws:SourceIp":"10.0.0.0/8"}}"#,
        ] {
            let policy = format!(
                r#"{{"Statement":[{{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*","Condition":{condition}}}]}}"#
            );
            let levels = path(1, &policy);
            assert!(matches!(
                protection(&levels, "cloudtrail:DeleteTrail", EVERY),
                Protection::Unjudged { .. }
            ));
        }
    }

    #[test]
    fn a_policy_that_is_not_json_is_an_error_not_a_guess() {
        assert!(Document::parse("{\"Statement\": 42").is_err());
    }

    #[test]
    fn glob_is_iams_wildcard_match() {
        assert!(glob("cloudtrail:*", "cloudtrail:StopLogging"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("arn:aws:cloudtrail:*:*:trail/*", &every_trail("aws")));
        assert!(!glob(
            "arn:aws:cloudtrail:*:*:trail/aws-controltower-*",
            &every_trail("aws")
        ));
        assert!(!glob(
            "arn:aws:cloudtrail:us-east-1:*:trail/*",
            &every_trail("aws")
        ));
        assert!(may_name_a_trail("arn:aws:cloudtrail:*:*:trail/x"));
        assert!(!may_name_a_trail("arn:aws:s3:::bucket"));
    }
}
