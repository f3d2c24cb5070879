//! Property tests of the inventory parser: whatever bytes it is handed, it answers with an
//! inventory or an error, never a panic, and whatever it accepts evaluates and renders.

use orgtrail::evaluate::evaluate;
use orgtrail::model::Inventory;
use orgtrail::report::{render, Format, Templates};
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
        for format in Format::ALL {
            render(&report, format, &Templates::default(), &mut std::io::sink())
                .unwrap_or_else(|e| panic!("{format:?} on an accepted inventory: {e}"));
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
