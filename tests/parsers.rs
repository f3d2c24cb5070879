//! Property tests of the inventory parser: whatever bytes it is handed, it answers with an
//! inventory or an error, never a panic, and whatever it accepts evaluates and renders.

use orgtrail::evaluate::evaluate;
use orgtrail::model::Inventory;
use orgtrail::report::{writers, Format, Templates};
use orgtrail::rules::catalogue;

const DEMO: &str = include_str!("../examples/demo-inventory.json");

/// xorshift64*: a fixed, dependency-free sequence, so a failure can be replayed.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Accepted inventories survive the whole offline pipeline and a serialisation round trip.
fn exercise(text: &str) {
    if let Ok(inventory) = Inventory::from_json(text) {
        let report = evaluate(&inventory, catalogue(), Vec::new(), inventory.collected_at);
        let templates = Templates::default();
        for (name, write) in writers(&report, &Format::ALL, &templates) {
            write(&mut std::io::sink())
                .unwrap_or_else(|e| panic!("{name} on an accepted inventory: {e}"));
        }
        let again = Inventory::from_json(&serde_json::to_string(&inventory).unwrap()).unwrap();
        assert_eq!(again, inventory);
    }
}

#[test]
fn the_demo_inventory_round_trips() {
    let inventory = Inventory::from_json(DEMO).unwrap();
    assert_eq!(
        Inventory::from_json(&serde_json::to_string(&inventory).unwrap()).unwrap(),
        inventory
    );
}

#[test]
fn every_truncation_of_an_inventory_is_rejected_without_panicking() {
    for end in (0..DEMO.len())
        .filter(|i| DEMO.is_char_boundary(*i))
        .step_by(3)
    {
        assert!(
            Inventory::from_json(&DEMO[..end]).is_err(),
            "accepted a prefix of {end} bytes"
        );
    }
}

#[test]
fn mutated_inventories_are_rejected_or_fully_usable() {
    let mut sequence = Sequence(0x6f72_6774_7261_696c);
    let pieces = [
        "",
        "null",
        "0",
        "-1",
        "1e400",
        "\"\"",
        "[]",
        "{}",
        "true",
        "\"<script>\"",
        "\"=cmd\"",
        "\"\\u0000\"",
        "\"\u{202e}\"",
        ",",
        "}",
        "]",
        "\"ACTIVE\"",
        "\"SUSPENDED\"",
        "\"2026-13-40T99:99:99Z\"",
        "18446744073709551616",
    ];
    let bytes = DEMO.as_bytes();
    let mut accepted = 0;
    for _ in 0..1000 {
        // Replace a random token-sized span with a random JSON-ish piece.
        let start = sequence.below(bytes.len());
        let len = sequence.below(12);
        let end = (start + len).min(bytes.len());
        let mut mutated = bytes[..start].to_vec();
        mutated.extend_from_slice(pieces[sequence.below(pieces.len())].as_bytes());
        mutated.extend_from_slice(&bytes[end..]);
        if let Ok(text) = String::from_utf8(mutated) {
            if Inventory::from_json(&text).is_ok() {
                accepted += 1;
            }
            exercise(&text);
        }
    }
    // Some mutations land in string values and stay valid; those went through everything.
    assert!(
        accepted > 20,
        "only {accepted} mutated inventories were accepted"
    );
}

/// Replace a random span of `text` with a random piece, `count` times over.
fn mutations(text: &str, seed: u64, count: usize, pieces: &[&str]) -> Vec<String> {
    let mut sequence = Sequence(seed);
    let bytes = text.as_bytes();
    (0..count)
        .filter_map(|_| {
            let start = sequence.below(bytes.len());
            let end = (start + sequence.below(8)).min(bytes.len());
            let mut mutated = bytes[..start].to_vec();
            mutated.extend_from_slice(pieces[sequence.below(pieces.len())].as_bytes());
            mutated.extend_from_slice(&bytes[end..]);
            String::from_utf8(mutated).ok()
        })
        .collect()
}

const TOML_PIECES: &[&str] = &[
    "",
    "=",
    "[",
    "]",
    "[[waiver]]",
    "\"",
    "'",
    "\n",
    "#",
    "0",
    "-1",
    "2027-02-30",
    "1979-05-27T07:32:00Z",
    "true",
    "{}",
    "*",
    "rule",
    "accounts = []",
    "expires = 2020-01-01",
];

#[test]
fn mutated_waiver_files_are_rejected_with_a_message_or_loaded_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let original = include_str!("../examples/waivers.toml");
    let path = dir.path().join("waivers.toml");
    let mut loaded = 0;
    for text in mutations(original, 0x7761_6976, 400, TOML_PIECES) {
        std::fs::write(&path, &text).unwrap();
        match orgtrail::waivers::load(&path, catalogue()) {
            Ok(_) => loaded += 1,
            Err(error) => assert!(error.to_string().contains("waivers.toml"), "{error}"),
        }
    }
    assert!(loaded > 10, "only {loaded} mutated files still loaded");
}

#[test]
fn mutated_configuration_files_never_crash_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orgtrail.toml");
    let original = "format = [\"json\"]\nout = \"OUT\"\nfail_on = \"critical\"\nconcurrency = 4\n"
        .replace("OUT", dir.path().join("out").to_str().unwrap());
    for text in mutations(&original, 0x636f_6e66, 60, TOML_PIECES) {
        std::fs::write(&path, &text).unwrap();
        // A mutation can make `out` relative ("/tmp/..." into "*mp/..."): keep it in `dir`.
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_orgtrail"))
            .current_dir(dir.path())
            .args([
                "-q",
                "--config",
                path.to_str().unwrap(),
                "report",
                "--inventory",
            ])
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/demo-inventory.json"
            ))
            .output()
            .unwrap();
        let code = output.status.code();
        // 0, 3, 4: the reports were written; 1, 2: a clear error. Never a panic (101) or a signal.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            matches!(code, Some(0..=4)),
            "{text:?} gave {code:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
