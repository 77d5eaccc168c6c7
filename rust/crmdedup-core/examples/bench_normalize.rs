//! Throughput of the normalisers on 1,000,000 synthetic French/European contacts.
//!
//! `cargo run --release -p crmdedup-core --example bench_normalize [rows]`
//! Prints the time to normalise every field of every contact value by value (`normalize_with`
//! in parallel, as a pipeline does on distinct values), and through `derived_columns` (Arrow in
//! and out, distinct values first, every derived column).

use std::time::Instant;

use arrow_array::StringArray;
use crmdedup_core::normalize::{NormalizeOptions, Normalizer, derived_columns, normalize_with};
use rayon::prelude::*;

const GIVEN: &[&str] = &[
    "Jean-Pierre",
    "Marie",
    "François",
    "Hélène",
    "Thibault",
    "Jürgen",
    "Katharina",
    "José",
    "Giuseppe",
    "Anne-Sophie",
    "Frédéric",
    "Zoë",
    "Łukasz",
    "Björn",
    "Chloé",
    "Noël",
];
const FAMILY: &[&str] = &[
    "Lefèvre",
    "LEFEBVRE",
    "O'Brien",
    "de la Fontaine",
    "Müller",
    "García",
    "Rossi",
    "Dupont",
    "van der Berg",
    "Martin",
    "Bernard",
    "Schröder",
    "Nuñez",
    "D'Artagnan",
    "Moreau",
    "Thibaut",
];
const COMPANY: &[&str] = &[
    "SARL Dupont & Fils",
    "Müller GmbH",
    "Acme Ltd.",
    "Boulangerie Paul SAS",
    "Fiat S.p.A.",
    "Société Générale",
    "Philips B.V.",
    "Ets Martin et Cie",
];
const STREET: &[&str] = &[
    "av. de la République",
    "rue Victor-Hugo",
    "bd Haussmann",
    "chem. des Vignes",
    "Hauptstr.",
    "imp. du Moulin",
    "fg St-Antoine",
    "all. des Tilleuls",
];
const DOMAIN: &[&str] = &[
    "gmail.com",
    "orange.fr",
    "free.fr",
    "Hotmail.FR",
    "web.de",
    "café.fr",
];

/// Small deterministic generator (`SplitMix64`), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn phone(rng: &mut Rng) -> String {
    let num = rng.next() % 100_000_000;
    let (a, b, c, d) = (
        num / 1_000_000,
        num / 10_000 % 100,
        num / 100 % 100,
        num % 100,
    );
    match rng.next() % 6 {
        0 => format!("06 {a:02} {b:02} {c:02} {d:02}"),
        1 => format!("+33 7 {a:02} {b:02} {c:02} {d:02}"),
        2 => format!("01.{a:02}.{b:02}.{c:02}.{d:02}"),
        3 => format!("+32 470 {b:02} {c:02} {d:02}"),
        4 => format!("0049 151 {num:08}"),
        _ => format!("+39 06 {a:02}{b:02} {c:02}{d:02}"),
    }
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(42);
    let mut columns: Vec<(Normalizer, Vec<String>)> = [
        Normalizer::Name,
        Normalizer::Name,
        Normalizer::Email,
        Normalizer::Phone,
        Normalizer::Company,
        Normalizer::Address,
        Normalizer::Postcode,
    ]
    .into_iter()
    .map(|k| (k, Vec::with_capacity(rows)))
    .collect();
    for i in 0..rows {
        let given = rng.pick(GIVEN);
        let family = rng.pick(FAMILY);
        columns[0].1.push(given.to_owned());
        columns[1].1.push(family.to_owned());
        columns[2].1.push(format!(
            " {}.{}{}@{} ",
            given,
            family.replace(' ', ""),
            i % 997,
            rng.pick(DOMAIN)
        ));
        columns[3].1.push(phone(&mut rng));
        columns[4]
            .1
            .push(format!("{} {}", rng.pick(COMPANY), i % 5000));
        columns[5]
            .1
            .push(format!("{} {}", 1 + rng.next() % 200, rng.pick(STREET)));
        columns[6]
            .1
            .push(format!("{:05}", 1000 + rng.next() % 95_000));
    }
    let opts = NormalizeOptions::default();
    let threads = rayon::current_num_threads();

    let start = Instant::now();
    let mut produced = 0usize;
    let mut per_kind_values = Vec::new();
    for (kind, values) in &columns {
        let kind_start = Instant::now();
        produced += values
            .par_iter()
            .filter_map(|v| normalize_with(*kind, v, &opts))
            .count();
        per_kind_values.push(format!(
            "{kind:?} {:.2} s",
            kind_start.elapsed().as_secs_f64()
        ));
    }
    let per_value = start.elapsed();

    let start = Instant::now();
    let mut derived = 0usize;
    let mut per_kind = Vec::new();
    for (kind, values) in &columns {
        let array = StringArray::from_iter_values(values);
        let kind_start = Instant::now();
        derived += derived_columns(*kind, &array, &opts).map_or(0, |cols| cols.len());
        per_kind.push(format!(
            "{kind:?} {:.2} s",
            kind_start.elapsed().as_secs_f64()
        ));
    }
    let per_column = start.elapsed();

    eprintln!(
        "{rows} contacts x {} fields on {threads} threads: normalize_with {:.2} s ({produced} values), \
         derived_columns {:.2} s ({derived} columns)",
        columns.len(),
        per_value.as_secs_f64(),
        per_column.as_secs_f64(),
    );
    eprintln!("normalize_with per field: {}", per_kind_values.join(", "));
    eprintln!("derived_columns per field: {}", per_kind.join(", "));
}
