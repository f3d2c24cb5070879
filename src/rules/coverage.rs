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
            };
            for trail in trails.iter().filter(|t| t.is_logging() && t.covers(region)) {
                let recorded = management_events(&trail.event_selectors);
                if !recorded.any {
                    continue;
                }
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
