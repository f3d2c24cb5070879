//! orgtrail: audit AWS CloudTrail across an AWS Organization.
//!
//! The pipeline is this file's three functions:
//! - [`scan`]: [`discover`] (Organizations → accounts), [`assume`] (STS → credentials) and
//!   [`collect`] (CloudTrail, S3, KMS → [`model::Inventory`], the seam: what AWS said, nothing
//!   judged);
//! - [`judge`]: [`evaluate`] (inventory × [`rules`] → [`findings::Report`]), with [`waivers`]
//!   applied and the [`diff`] against a baseline;
//! - [`write`]: [`report`] (every format, staged), the [`manifest`] and its signature
//!   ([`signing`]), then an atomic commit.
//!
//! Beside them, [`trend`] compares several runs' reports and [`write_trend`] writes what it
//! found (trend.html, trend.csv).
//!
//! [`model`] (the inventory) and [`findings`] (the report) sit at the bottom: plain serde data
//! that imports no stage.

pub mod assume;
pub mod aws;
pub mod collect;
pub mod diff;
pub mod discover;
pub mod evaluate;
pub mod findings;
pub mod manifest;
pub mod merge;
pub mod model;
pub mod period;
pub mod regions;
pub mod report;
pub mod rules;
pub mod signing;
pub mod trend;
pub mod waivers;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::FutureExt;

use crate::assume::caller_identity;
use crate::aws::{Aws, CallError};
use crate::collect::{AccountAccess, CollectOptions, Plan, Progress};
use crate::discover::{discover, DiscoverError, Scope};
use crate::findings::{Report, Seal, Waiver, WaiverState};
use crate::manifest::{Manifest, MANIFEST_FILE, MANIFEST_SCHEMA};
use crate::model::{Account, CollectionStats, Inventory, INVENTORY_SCHEMA};
use crate::report::{digest_file, FileDigest, Format, StageError, Staged, Templates, Trend};
use crate::signing::{SigningError, SigningKey, SIGNATURE_FILE};
use crate::trend::EarlierRun;

/// The file `scan` and `merge` write the inventory to, next to the reports.
pub const INVENTORY_FILE: &str = "inventory.json";

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("could not identify the caller: {0}\nCheck the AWS credentials (environment, profile or SSO session) and, when testing, AWS_ENDPOINT_URL")]
    Caller(CallError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

/// Discover, assume and collect: everything AWS says about the organization's trails.
///
/// Accounts go to collection as the walk of the organization finds them. When discovery fails
/// half-way the scan fails as a whole and collection stops: no inventory leaves out an account
/// the organization lists.
pub async fn scan(
    aws: &Aws,
    scope: &Scope,
    options: &CollectOptions,
    progress: &dyn Progress,
) -> Result<Inventory, ScanError> {
    let collected_at = Utc::now();
    let started = Instant::now();
    let caller = caller_identity(&aws.sts())
        .await
        .map_err(ScanError::Caller)?;

    let (planned, plans) = futures::channel::mpsc::unbounded();
    let organizations = aws.organizations();
    let discovering = async move {
        let mut found = |account: Account| {
            // Unbounded: the walk never waits for collection, whose own bound is --concurrency.
            // Sending fails only once collection has stopped, and then the scan is failing.
            let _ = planned.unbounded_send(plan(scope, account));
        };
        let walked = |accounts, units_left| progress.discovered(accounts, units_left);
        let organization = discover(&organizations, scope, &mut found, &walked).await?;
        // `planned` is dropped here: the plans end, and collection finishes its last accounts.
        Ok::<_, ScanError>(organization)
    };
    let access = AccountAccess::new(aws, &caller, &options.role);
    let collecting =
        collect::collect(aws, &access, plans, options, progress).map(Ok::<_, ScanError>);
    let (organization, mut accounts) = futures::try_join!(discovering, collecting)?;
    // Every account's trails are known: their buckets and keys are read once each, as owner.
    let whole_organization =
        scope.organizational_units.is_empty() && scope.accounts.is_empty() && scope.shard.is_none();
    access.note_organization(organization.id.as_deref(), whole_organization);
    // Then, side by side: the trails' buckets, keys and log groups, each read once as its owner,
    // and the service control policies along the accounts' paths, each document once.
    let targets = collect::policy_targets(&accounts, organization.management_account_id.as_deref());
    let organizations = aws.organizations();
    // Asked even when Organizations could not be walked: an account in no organization is then
    // told so, and a caller denied the reads gets them named.
    // As many Organizations calls in flight as the walk keeps (two per OU listed).
    let policies = async {
        Some(collect::service_control_policies(&organizations, targets, scope.walk_width * 2).await)
    };
    let resources = async {
        collect::read_trail_resources(aws, &access, &mut accounts, options.concurrency).await;
        collect::read_log_groups(aws, &access, &mut accounts, options.concurrency).await;
    };
    let (service_control_policies, ()) = futures::join!(policies, resources);
    Ok(Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at,
        caller_arn: caller.arn,
        home_region: Some(aws.region().to_string()),
        organization,
        regions: options.regions.clone(),
        accounts,
        collection: Some(CollectionStats {
            seconds: started.elapsed().as_secs_f64(),
            api_calls: aws.calls.operations(),
            retries: aws.calls.retries(),
            throttling_retries: aws.calls.throttling_retries(),
            entered_for_resources: access.entered_outside_scope(),
        }),
        settings: None,
        shard: scope.shard,
        service_control_policies,
        period: Some(options.period),
    })
}

/// Excluded and closed accounts are listed, not audited.
fn plan(scope: &Scope, account: Account) -> Plan {
    if scope.exclude.contains(&account.id) {
        Plan::Skip(account, "excluded by --exclude-accounts".to_string())
    } else if !account.is_auditable() {
        let reason = format!("account is {} in Organizations", account.status);
        Plan::Skip(account, reason)
    } else {
        Plan::Audit(account)
    }
}

/// How to judge besides the inventory: accepted risks, last run, earlier runs, what the reader
/// is audited against.
#[derive(Debug, Clone, Default)]
pub struct Judging {
    pub waivers: Vec<Waiver>,
    pub baseline: Option<Report>,
    /// Earlier runs (`--history`) report.html draws its small trend from.
    pub history: Vec<EarlierRun>,
    /// Framework slugs the reports open on (`--framework`).
    pub framework_focus: Vec<String>,
}

/// Judge an inventory: every rule on every account, the waivers applied as of `now`, what
/// changed since the baseline when one is given, and the earlier runs (history and the
/// baseline) report.html draws its trend from.
pub fn judge(inventory: &Inventory, judging: Judging, now: DateTime<Utc>) -> Report {
    let mut report = evaluate::evaluate(inventory, rules::catalogue(), judging.waivers, now);
    report.framework_focus = judging.framework_focus;
    let mut history = judging.history;
    // A baseline re-reported from the same inventory is no earlier run: not worth a warning.
    if let Some(old) = judging
        .baseline
        .as_ref()
        .filter(|old| old.collected_at < report.collected_at)
    {
        history.push(EarlierRun::of(old, "the baseline".to_string()));
    }
    report.baseline = judging.baseline.map(|old| diff::diff(&old, &report));
    let (history, set_aside) = trend::history(history, &report);
    report.history = history;
    for warning in set_aside {
        tracing::warn!("{warning}");
    }
    for unused in report
        .waivers
        .iter()
        .filter(|u| u.state != WaiverState::Active)
    {
        tracing::warn!(
            "waiver for {} on {} is {:?}: {}",
            unused.waiver.rule,
            unused.waiver.accounts.join(", "),
            unused.state,
            unused.waiver.reason
        );
    }
    report
}

/// Where the reports' inventory comes from.
pub enum InventorySource<'a> {
    /// Collected or merged by this run: written next to the reports.
    Written(&'a Inventory),
    /// Read from this file (`orgtrail report`), whose digest the manifest records.
    Read(&'a Path),
}

/// What to write, and where.
pub struct Outputs<'a> {
    pub dir: &'a Path,
    pub formats: &'a [Format],
    pub templates: &'a Templates,
    /// The key manifest.json is signed with (`--sign-key`), if any.
    pub signer: Option<&'a SigningKey>,
}

/// How this run was started, for the manifest.
pub struct RunRecord {
    /// The command line with the configuration file's options in it (redacted when written).
    pub arguments: Vec<String>,
    pub configuration_file: Option<String>,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Stage(#[from] StageError),
    #[error("hashing {}: {source}", path.display())]
    Hash {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signing {MANIFEST_FILE}: {0}")]
    Sign(#[from] SigningError),
    #[error("serialising {MANIFEST_FILE}: {0}")]
    Manifest(#[from] serde_json::Error),
}

/// What a run wrote.
pub struct Written {
    pub files: Vec<PathBuf>,
    /// manifest.json as written: the one digest that stands for every file of the run.
    pub manifest: FileDigest,
    pub seal: Seal,
}

/// Render every format, then the manifest of them all and its signature, and only then move
/// them into place: a failure anywhere leaves the directory as it was. Records the run's
/// [`Seal`] in `report` first, so every format shows it.
pub fn write(
    report: &mut Report,
    inventory: InventorySource,
    outputs: &Outputs,
    run: &RunRecord,
) -> Result<Written, WriteError> {
    let mut staged = Staged::new(outputs.dir)?;
    retire_earlier_outputs(&mut staged, outputs);
    let inventory = match inventory {
        InventorySource::Written(inventory) => staged.add(INVENTORY_FILE, |out| {
            Ok(serde_json::to_writer_pretty(out, inventory)?)
        })?,
        InventorySource::Read(path) => {
            digest_file(path, &path.display().to_string()).map_err(|source| WriteError::Hash {
                path: path.to_path_buf(),
                source,
            })?
        }
    };
    let seal = Seal {
        inventory_sha256: inventory.sha256.clone(),
        signing_key_id: outputs.signer.map(|key| key.id.to_string()),
    };
    report.seal = Some(seal.clone());
    staged.add_all(report::files(report, outputs.formats, outputs.templates))?;
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: manifest::redact(run.arguments.iter().cloned()),
        configuration_file: run.configuration_file.clone(),
        started_at: run.started_at,
        finished_at: Utc::now(),
        caller_arn: report.caller_arn.clone(),
        inventory,
        files: staged.digests().to_vec(),
        signing_key_id: seal.signing_key_id.clone(),
        period: report.period,
    };
    // Signed as the bytes written, so the signature verifies against the file on disk.
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let manifest_digest = staged.add(MANIFEST_FILE, |out| Ok(out.write_all(&manifest_bytes)?))?;
    if let Some(key) = outputs.signer {
        let signature = key.sign(&manifest_bytes, &trusted_comment(report, &manifest))?;
        staged.add(SIGNATURE_FILE, |out| {
            Ok(out.write_all(signature.as_bytes())?)
        })?;
    }
    let files = staged.commit()?;
    Ok(Written {
        files,
        manifest: manifest_digest,
        seal,
    })
}

/// The signature's trusted comment (signed with the manifest, printed by `minisign -V`): the
/// organization, the run's start, orgtrail's version and the inventory's digest, the one the
/// reports print.
fn trusted_comment(report: &Report, manifest: &Manifest) -> String {
    format!(
        "org:{} run:{} orgtrail:{} inventory-sha256:{}",
        report.organization.id.as_deref().unwrap_or("none"),
        manifest
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        manifest.tool_version,
        manifest.inventory.sha256
    )
}

/// Files an earlier run wrote that this one does not (a format not chosen this time, ASFF parts
/// beyond this run's count, the account pages) would sit beside this run's manifest unlisted, and
/// a signature of an earlier manifest would read as tampering: the commit takes them away.
fn retire_earlier_outputs(staged: &mut Staged, outputs: &Outputs) {
    if let Ok(entries) = std::fs::read_dir(outputs.dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if report::is_report_output(&name) {
                staged.retire(&name);
            }
        }
    }
    if outputs.signer.is_none() {
        staged.retire(SIGNATURE_FILE);
    }
}

/// Write trend.html and trend.csv into `dir`: both, or neither when anything fails.
pub fn write_trend(
    trend: &Trend,
    dir: &Path,
    templates: &Templates,
) -> Result<Vec<PathBuf>, WriteError> {
    let mut staged = Staged::new(dir)?;
    staged.add_all(report::trend_files(trend, templates, Utc::now()))?;
    Ok(staged.commit()?)
}
