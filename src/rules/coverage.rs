//! Which logging trails cover each audited region, and whether management reads and writes are
//! recorded there: the region coverage matrix, and what the coverage rule judges.

use super::selectors::management_events;
use crate::findings::RegionCoverage;
use crate::model::Trail;

pub fn region_coverage(trails: &[Trail], regions: &[String]) -> Vec<RegionCoverage> {
    regions
        .iter()
        .map(|region| {
            let mut covered = RegionCoverage {
                region: region.clone(),
                trails: Vec::new(),
                reads: false,
                writes: false,
                unread: Vec::new(),
            };
            for trail in trails {
                // A trail that may cover the region but could not be read adds nothing, and is
                // named so that a gap it might fill is not reported as a gap.
                let read = trail.covers(region).and_then(|covers| {
                    if !covers {
                        return Ok(None);
                    }
                    if !trail.logging()? {
                        return Ok(None);
                    }
                    Ok(Some(management_events(trail.read_selectors()?)))
                });
                let recorded = match read {
                    Ok(Some(recorded)) if recorded.any => recorded,
                    Ok(_) => continue,
                    Err(unread) => {
                        covered.unread.push(format!(
                            "{} ({})",
                            trail.name,
                            unread.call.operation()
                        ));
                        continue;
                    }
                };
                let via = if trail.is_organization_trail {
                    "organization"
                } else if trail.is_multi_region {
                    "multi-region"
                } else {
                    "regional"
                };
                covered.trails.push(format!("{} ({via})", trail.name));
                covered.reads |= recorded.reads;
                covered.writes |= recorded.writes;
            }
            covered
        })
        .collect()
}
