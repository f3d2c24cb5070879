//! The report's layout at organization scale (issue 24): report.html a bounded summary, every
//! account's evidence on a page of its own listed in the manifest, the organization by OU, and
//! what paper shows, at the scale of the 10,000-account synthetic organization
//! (examples/synthetic_inventory.rs) and on the demo.

use crate::support;

#[path = "../examples/synthetic_inventory.rs"]
#[allow(dead_code)]
mod synthetic_inventory;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    demo_inventory, keygen, read_json, repo, report, stderr, SEED_RULES, SIGN_PASSWORD,
};

/// The 10,000-account organization reported (html, csv, md) into `dir/out`: the directory.
fn large_report(dir: &Path) -> PathBuf {
    let inventory = dir.join("inventory-10k.json");
    let organization = synthetic_inventory::inventory(10_000);
    std::fs::write(&inventory, serde_json::to_vec(&organization).unwrap()).unwrap();
    let out = dir.join("out");
    let output = report(&inventory, &out, &["--format", "html,csv,md"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out
}

/// One report of the 10,000-account organization (a minute or two in a debug build) serves
/// every check at that scale: issue 24's proof.
#[test]
fn ten_thousand_accounts_get_a_bounded_summary_a_page_each_and_an_ou_table_that_recounts() {
    let dir = tempfile::tempdir().unwrap();
    let out = large_report(dir.path());
    summary_under_5_mb_and_every_account_a_page_in_the_manifest(&out);
    the_ou_table_counts_what_findings_csv_recounts(&out);
    if let Some(tools) = printing_tools() {
        let pages = printed_pages(&tools, &out.join("report.html"));
        assert!(
            pages <= 60,
            "the 10,000-account summary prints on {pages} pages"
        );
        let pages = printed_pages(&tools, &out.join("accounts/100000000004.html"));
        assert!(
            (1..=6).contains(&pages),
            "an account's page prints on {pages} pages"
        );
    }
}

fn summary_under_5_mb_and_every_account_a_page_in_the_manifest(out: &Path) {
    let summary = std::fs::metadata(out.join("report.html")).unwrap().len();
    assert!(summary <= 5_000_000, "report.html is {summary} bytes");

    let manifest = read_json(&out.join("manifest.json"));
    let listed: BTreeSet<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    let pages: BTreeSet<String> = std::fs::read_dir(out.join("accounts"))
        .unwrap()
        .map(|e| format!("accounts/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(pages.len(), 10_000);
    let accounts: Vec<String> = (0..10_000u64)
        .map(|i| format!("accounts/{:012}.html", 100_000_000_000 + i))
        .collect();
    for page in &accounts {
        assert!(pages.contains(page), "{page} was not written");
        assert!(listed.contains(page), "{page} is not in manifest.json");
    }
    assert!(listed.contains("accounts.html") && listed.contains("report.html"));

    // accounts.html links every page; a page holds its account's evidence and links back.
    let index = std::fs::read_to_string(out.join("accounts.html")).unwrap();
    for page in accounts.iter().step_by(997) {
        assert!(index.contains(&format!("href=\"{page}\"")), "{page}");
    }
    let page = std::fs::read_to_string(out.join("accounts/100000000003.html")).unwrap();
    assert!(page.contains("workload-00003") && page.contains("href=\"../report.html\""));
    assert!(page.contains("<style>"), "a page is self-contained");
    assert!(
        page.contains("Root&#x2F;Workloads&#x2F;Team-003"),
        "a page names its OU"
    );

    let verified = support::orgtrail().arg("verify").arg(out).output().unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}

/// An OU's row as report.md's table gives it: accounts, not audited, seed-control passes and the
/// accounts they are counted over.
#[derive(Debug, PartialEq, Eq, Default, Clone, Copy)]
struct OuCount {
    accounts: usize,
    not_audited: usize,
    passing: usize,
    judged: usize,
}

fn the_ou_table_counts_what_findings_csv_recounts(out: &Path) {
    let mut recount: BTreeMap<String, OuCount> = BTreeMap::new();
    // Per account: its OU, whether it was audited, and its seed rules' statuses.
    let mut accounts: HashMap<String, (String, Vec<String>, Vec<String>)> = HashMap::new();
    let mut csv = csv::Reader::from_path(out.join("findings.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, ou, rule, status) = (
        column("account_id"),
        column("ou_path"),
        column("rule_id"),
        column("status"),
    );
    for row in csv.records() {
        let row = row.unwrap();
        let entry = accounts
            .entry(row[id].to_string())
            .or_insert_with(|| (row[ou].to_string(), Vec::new(), Vec::new()));
        entry.1.push(row[status].to_string());
        if SEED_RULES.contains(&&row[rule]) {
            entry.2.push(row[status].to_string());
        }
    }
    for (ou, statuses, seed) in accounts.values() {
        let count = recount.entry(ou.clone()).or_default();
        count.accounts += 1;
        // Not audited: a NOT_AUDITED row, or every rule ERROR (the audit role could not be used).
        if statuses.iter().all(|s| s == "NOT_AUDITED" || s == "ERROR") {
            count.not_audited += 1;
            continue;
        }
        count.judged += 1;
        if seed.len() == SEED_RULES.len() && seed.iter().all(|s| s == "PASS") {
            count.passing += 1;
        }
    }
    assert!(
        recount.contains_key("Root"),
        "accounts under the root have a row"
    );

    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let table = markdown
        .split("## The organization by OU")
        .nth(1)
        .expect("report.md has the OU table");
    let mut listed: BTreeMap<String, OuCount> = BTreeMap::new();
    let mut shares = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("| Root")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (passing, judged) = cells[3].split_once(" of ").unwrap();
        listed.insert(
            cells[0].replace('\\', ""),
            OuCount {
                accounts: cells[1].parse().unwrap(),
                not_audited: cells[2].parse().unwrap(),
                passing: passing.parse().unwrap(),
                judged: judged.parse().unwrap(),
            },
        );
        let judged: f64 = judged.parse().unwrap();
        // An OU without an audited account has no share: it is listed last.
        shares.push((judged > 0.0).then(|| passing.parse::<f64>().unwrap() / judged));
    }
    assert_eq!(listed, recount);
    let ranked: Vec<f64> = shares.iter().map_while(|s| *s).collect();
    assert!(
        ranked.windows(2).all(|w| w[0] <= w[1]),
        "worst first: {ranked:?}"
    );
    assert!(shares[ranked.len()..].iter().all(Option::is_none));

    // report.html shows the worst OUs, with the same counts.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let worst = listed
        .iter()
        .filter(|(_, count)| count.judged > 0)
        .min_by(|a, b| {
            let share = |c: &OuCount| c.passing as f64 / c.judged as f64;
            share(a.1).total_cmp(&share(b.1)).then(a.0.cmp(b.0))
        })
        .unwrap();
    assert!(
        html.contains(&format!(
            ">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} of {}</td>",
            worst.0.replace('/', "&#x2F;"),
            worst.1.accounts, worst.1.not_audited, worst.1.passing, worst.1.judged
        )),
        "report.html's OU table lacks {worst:?}"
    );
}

/// Chromium and pdfinfo, where .ci/run installs them: `None` (after saying so loudly) on a
/// developer machine without them; a failed test under CI.
fn printing_tools() -> Option<(PathBuf, PathBuf)> {
    let find = |program: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|path| path.is_file())
        })
    };
    match (find("chromium"), find("pdfinfo")) {
        (Some(chromium), Some(pdfinfo)) => Some((chromium, pdfinfo)),
        _ => {
            let message =
                "chromium and pdfinfo are not installed: apt-get install chromium poppler-utils";
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            if ci {
                panic!("{message} (.ci/run installs them; CI must not skip this check)");
            }
            eprintln!("\n!!!!!!!!!! NOT CHECKED: {message} !!!!!!!!!!\n");
            None
        }
    }
}

/// `page` printed to A4 by headless Chromium: its number of pages.
fn printed_pages((chromium, pdfinfo): &(PathBuf, PathBuf), page: &Path) -> usize {
    let profile = tempfile::tempdir().unwrap();
    let pdf = profile.path().join("printed.pdf");
    let printed = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        pdf.is_file(),
        "chromium printed nothing: {}",
        stderr(&printed)
    );
    let info = Command::new(pdfinfo).arg(&pdf).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {text}"))
}

#[test]
fn the_demo_summary_prints_on_at_most_15_pages_and_an_account_page_by_itself() {
    let Some(tools) = printing_tools() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = report(&demo_inventory(), dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let demo = printed_pages(&tools, &dir.path().join("report.html"));
    assert!(demo <= 15, "the demo's summary prints on {demo} pages");

    // An account's page prints by itself: its findings, a few pages at most.
    let page = printed_pages(&tools, &dir.path().join("accounts/210101010101.html"));
    assert!(
        (1..=6).contains(&page),
        "an account's page prints on {page} pages"
    );
}

#[test]
fn every_demo_account_has_its_page_and_the_summary_links_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = report(&demo_inventory(), dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report_json = read_json(&dir.path().join("report.json"));
    let summary = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let index = std::fs::read_to_string(dir.path().join("accounts.html")).unwrap();
    for entry in report_json["accounts"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let page = format!("accounts/{id}.html");
        let text = std::fs::read_to_string(dir.path().join(&page)).unwrap();
        assert!(text.contains(id), "{page}");
        assert!(index.contains(&format!("href=\"{page}\"")), "{page}");
        // Every finding of the account is on its page, by rule id.
        for finding in report_json["findings"].as_array().unwrap() {
            if finding["account_id"] == id && entry["audit"]["state"] == "audited" {
                let rule = finding["rule_id"].as_str().unwrap();
                assert!(text.contains(rule), "{page} lacks {rule}");
            }
        }
    }
    assert!(summary.contains("href=\"accounts.html\""));
    assert!(summary.contains("The organization by OU"));
}

/// accounts.html and the account pages are written directly when their templates are the
/// embedded ones (src/report/direct.rs: Tera took most of the 10,000-account report's time), and
/// through Tera when a `--templates` directory has its own. Copies of the embedded templates must
/// render every page byte for byte as the pages written directly, or a change made to one was
/// not made to the other. Names with markup, quotes, capitals (`| lower`) and accents, OU paths
/// with markup, accounts that could not be audited or were skipped, waivers and a signed seal
/// all pass through both.
#[test]
fn copies_of_the_embedded_templates_render_every_page_as_written_directly() {
    let dir = tempfile::tempdir().unwrap();
    let copies = dir.path().join("copies");
    std::fs::create_dir_all(&copies).unwrap();
    for name in ["account.html.tera", "accounts.html.tera"] {
        std::fs::copy(repo().join("templates").join(name), copies.join(name)).unwrap();
    }
    let (_, secret) = keygen(dir.path());
    let mut organization = synthetic_inventory::inventory(300);
    for (n, entry) in organization.accounts.iter_mut().enumerate().step_by(7) {
        entry.account.name = format!("<script>alert('{n}')</script> & \"Équipe\" / R&D ÜBER");
        entry.account.ou_path = Some(format!("Root/<b>Lab {n}</b> & 'Co'"));
    }
    let synthetic = dir.path().join("synthetic.json");
    std::fs::write(&synthetic, serde_json::to_vec(&organization).unwrap()).unwrap();
    let waivers = support::demo_waivers();
    let cases: [(&Path, &[&str]); 2] = [
        (&synthetic, &[]),
        (&demo_inventory(), &["--waivers", waivers.to_str().unwrap()]),
    ];
    for (inventory, extra) in cases {
        let pages = |name: &str, templates: &[&str]| {
            let out = dir.path().join(name);
            let output = support::orgtrail()
                .env("ORGTRAIL_SIGN_PASSWORD", SIGN_PASSWORD)
                .args(["report", "--format", "html", "--sign-key"])
                .arg(&secret)
                .arg("--inventory")
                .arg(inventory)
                .arg("--out")
                .arg(&out)
                .args(extra)
                .args(templates)
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let mut pages: BTreeMap<String, String> = support::files_under(&out)
                .into_iter()
                .filter(|(name, _)| name.starts_with("accounts"))
                .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
                .collect();
            // The one thing two runs differ in: when each was generated.
            for text in pages.values_mut() {
                if let Some((before, after)) = text.split_once("Report generated ") {
                    let rest = &after[after.find('<').unwrap()..];
                    *text = format!("{before}Report generated …{rest}");
                }
            }
            pages
        };
        let direct = pages("direct", &[]);
        let through_tera = pages("through-tera", &["--templates", copies.to_str().unwrap()]);
        assert!(direct.len() > 10 && direct.contains_key("accounts.html"));
        if inventory == synthetic.as_path() {
            assert!(direct["accounts.html"].contains("&lt;script&gt;alert(&#x27;7&#x27;)"));
        }
        assert_eq!(
            direct.keys().collect::<Vec<_>>(),
            through_tera.keys().collect::<Vec<_>>()
        );
        for (name, page) in &direct {
            if page != &through_tera[name] {
                let line = page
                    .lines()
                    .zip(through_tera[name].lines())
                    .position(|(a, b)| a != b);
                panic!(
                    "{name} written directly differs from the copied template's, at line {line:?}:\n{}\n---\n{}",
                    page.lines().nth(line.unwrap_or(0)).unwrap_or(""),
                    through_tera[name].lines().nth(line.unwrap_or(0)).unwrap_or("")
                );
            }
        }
    }
}
