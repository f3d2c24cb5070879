//! Sharded runs at the edge: which shard this process is (`--shard K/N` or `auto` under AWS
//! Batch), where it writes, and which shard inventories `merge` reads.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use tracing::info;

use crate::cli::ShardArg;
use crate::failure::Failure;
use orgtrail::model::{Shard, ARRAY_INDEX_VARIABLE, ARRAY_SIZE_VARIABLE};
use orgtrail::INVENTORY_FILE;

/// `--shard auto`: the shard of this AWS Batch array child, from the variables Batch sets.
pub fn resolve(shard: ShardArg) -> Result<Shard, Failure> {
    match shard {
        ShardArg::Fixed(shard) => Ok(shard),
        ShardArg::Auto => {
            let variable = |name| std::env::var(name).ok();
            let shard = Shard::of_array_job(
                variable(ARRAY_INDEX_VARIABLE).as_deref(),
                variable(ARRAY_SIZE_VARIABLE).as_deref(),
            )
            .map_err(|e| Failure::Usage(anyhow!(e)))?;
            info!("--shard auto: shard {shard} (AWS Batch array child)");
            Ok(shard)
        }
    }
}

/// `{shard}` in `--out` becomes `K-of-N`, so the children of an array job, all started with the
/// same command, each write into a directory of their own.
pub fn out_directory(out: &Path, shard: Option<Shard>) -> Result<PathBuf, Failure> {
    let text = out.to_string_lossy();
    if !text.contains("{shard}") {
        return Ok(out.to_path_buf());
    }
    let Some(shard) = shard else {
        return Err(Failure::Usage(anyhow!(
            "--out {} holds {{shard}}, which only a sharded scan fills in; add --shard K/N or --shard auto",
            out.display()
        )));
    };
    Ok(text
        .replace("{shard}", &format!("{}-of-{}", shard.index, shard.count))
        .into())
}

/// The inventories `merge` was pointed at: an inventory file, a shard's directory, or a
/// directory of shard directories (what the array jobs of examples/aws-batch leave behind).
pub fn inventories(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
        } else if path.join(INVENTORY_FILE).is_file() {
            files.push(path.join(INVENTORY_FILE));
        } else {
            let mut found: Vec<_> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map_err(Failure::Usage)?
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.path().join(INVENTORY_FILE))
                .filter(|file| file.is_file())
                .collect();
            if found.is_empty() {
                return Err(Failure::Usage(anyhow!(
                    "{} holds no {INVENTORY_FILE}, nor do its subdirectories; pass the shards' --out directories",
                    path.display()
                )));
            }
            found.sort();
            files.extend(found);
        }
    }
    Ok(files)
}
