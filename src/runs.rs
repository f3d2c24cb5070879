//! Earlier runs as `trend`, `diff`, `--baseline` and `--history` name them: a report directory
//! or its report.json, read, dated, and linked to from another page.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};
use orgtrail::findings::{Report, REPORT_SCHEMA};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// A report directory's report.json, or the file itself.
pub fn report_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    }
}

fn unreadable(path: &Path, file: &Path) -> String {
    if path.is_dir() {
        format!(
            "no report in {}: it holds no readable report.json; pass the directories that scan, report or merge wrote",
            path.display()
        )
    } else {
        format!("cannot read the report {}", file.display())
    }
}

fn not_a_report(file: &Path, error: impl fmt::Display) -> anyhow::Error {
    anyhow!(
        "{} is not an orgtrail report.json: {error}; pass the report.json a previous run wrote",
        file.display()
    )
}

pub fn read_report(path: &Path) -> Result<Report> {
    let file = report_file(path);
    let text = std::fs::read_to_string(&file).with_context(|| unreadable(path, &file))?;
    Report::from_json(&text).map_err(|e| not_a_report(&file, e))
}

/// Just when a report's run was collected, read from the head of its report.json (which
/// report.json writes first): runs are sorted before each is read whole, once, and a
/// 10,000-account report.json is 225 MB.
pub fn collected_at(path: &Path) -> Result<DateTime<Utc>> {
    let file = report_file(path);
    let reader = File::open(&file).with_context(|| unreadable(path, &file))?;
    stamp(BufReader::new(reader)).map_err(|e| not_a_report(&file, e))
}

/// The fields of a report's head that date it.
#[derive(Default)]
struct Stamp {
    schema: Option<String>,
    collected_at: Option<DateTime<Utc>>,
}

impl Stamp {
    fn complete(&self) -> bool {
        self.schema.is_some() && self.collected_at.is_some()
    }
}

/// Reads the report object's fields up to the last of `schema` and `collected_at`, and stops.
struct StampVisitor<'a>(&'a mut Stamp);

impl<'de> Visitor<'de> for StampVisitor<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "schema" => self.0.schema = Some(map.next_value()?),
                "collected_at" => self.0.collected_at = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if self.0.complete() {
                return Ok(());
            }
        }
        Ok(())
    }
}

fn stamp(reader: impl Read) -> Result<DateTime<Utc>, String> {
    let mut stamp = Stamp::default();
    let mut json = serde_json::Deserializer::from_reader(reader);
    // Stopped early, the parser complains that the object does not end there: the stamp is
    // what counts.
    let parsed = json.deserialize_map(StampVisitor(&mut stamp));
    let (Some(schema), Some(collected_at)) = (stamp.schema, stamp.collected_at) else {
        return Err(match parsed {
            Err(error) => error.to_string(),
            Ok(()) => "it has no schema or no collected_at".to_string(),
        });
    };
    if schema != REPORT_SCHEMA {
        return Err(format!(
            "has schema '{schema}', this orgtrail reads '{REPORT_SCHEMA}'"
        ));
    }
    Ok(collected_at)
}

/// A link from a page in `dir` to `target` (both absolute), URL-encoded.
pub fn relative_href(dir: &Path, target: &Path) -> String {
    let from: Vec<_> = dir.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|part| percent_encode(&part.as_os_str().to_string_lossy())),
    );
    parts.join("/")
}

/// Everything but the characters a URL path segment may hold as they are (RFC 3986, section
/// 2.3: unreserved characters).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that counts what was read from it.
    struct Counted<R> {
        inner: R,
        read: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n);
            Ok(n)
        }
    }

    #[test]
    fn a_run_is_dated_from_the_head_of_its_report_not_the_whole_file() {
        let head = format!(
            r#"{{"schema":"{REPORT_SCHEMA}","generated_at":"2026-11-01T07:00:00Z","tool_version":"1.0.0","collected_at":"2026-11-01T06:00:00Z","findings":["#
        );
        // 32 MiB of findings follow, as in a large organization's report.
        let findings = std::io::repeat(b'7').take(32 << 20);
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let reader = Counted {
            inner: head.as_bytes().chain(findings),
            read: read.clone(),
        };
        let at = stamp(reader).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-01T06:00:00+00:00");
        assert!(read.get() < 64 * 1024, "read {} bytes", read.get());
    }

    #[test]
    fn a_file_that_is_no_report_of_this_schema_is_refused() {
        let other = r#"{"schema":"orgtrail/report/v0","collected_at":"2026-11-01T06:00:00Z"}"#;
        assert!(stamp(other.as_bytes())
            .unwrap_err()
            .contains("has schema 'orgtrail/report/v0'"));
        assert!(stamp(r#"{"schema":"x"}"#.as_bytes()).is_err());
        assert!(stamp("[1, 2]".as_bytes()).is_err());
        assert!(stamp(r#"{"schema": "#.as_bytes()).is_err());
    }

    #[test]
    fn links_climb_to_the_common_folder_and_encode_each_segment() {
        let href = relative_href(
            Path::new("/audits/trend"),
            Path::new("/audits/runs/2026-11 #1/report.html"),
        );
        assert_eq!(href, "../runs/2026-11%20%231/report.html");
        assert_eq!(
            relative_href(Path::new("/a"), Path::new("/a/b/report.html")),
            "b/report.html"
        );
        assert_eq!(percent_encode("é?%/"), "%C3%A9%3F%25%2F");
        assert_eq!(percent_encode("A-z_0.9~"), "A-z_0.9~");
    }
}
