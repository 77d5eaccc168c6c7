//! Throughput of the normalisers on 1,000,000 synthetic French/European contacts.
//!
//! `cargo run --release -p crmdedup-core --example bench_normalize [rows]`
//! Prints, per kind of field (names, email, phone, company, address, postcode, date,
//! identifier), the wall time per value of normalising every value one by one (`normalize_with`
//! in parallel, as a pipeline does on distinct values) and through `derived_columns` (Arrow in
//! and out, distinct values first, every derived column) and through `CodedColumn::encode` (the
//! pipeline's path: distinct raw values, normalised, re-encoded), with the share of distinct
//! values.

use std::time::Instant;

use arrow_array::{StringArray, StringViewArray};
use crmdedup_core::column::CodedColumn;
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

/// `rows` synthetic values of each kind of field, with the kind.
fn generate(rows: usize) -> Vec<(Normalizer, Vec<String>)> {
    let mut rng = Rng(42);
    let mut columns: Vec<(Normalizer, Vec<String>)> = [
        Normalizer::Name,
        Normalizer::Name,
        Normalizer::Email,
        Normalizer::Phone,
        Normalizer::Company,
        Normalizer::Address,
        Normalizer::Postcode,
        Normalizer::Date,
        Normalizer::Identifier,
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
        let (y, m, d) = (
            1930 + rng.next() % 75,
            1 + rng.next() % 12,
            1 + rng.next() % 28,
        );
        columns[7].1.push(match i % 4 {
            0 => format!("{y}-{m:02}-{d:02}"),
            1 => format!("{d:02}/{m:02}/{y}"),
            2 => format!("{d:02}.{m:02}.{y}"),
            _ => format!("{y}{m:02}{d:02}"),
        });
        let id = rng.next() % 10_000_000_000_000;
        columns[8].1.push(if i % 2 == 0 {
            format!("{id:013}")
        } else {
            let t = format!("{id:013}");
            format!("{} {} {} {}", &t[..1], &t[1..3], &t[3..8], &t[8..])
        });
    }
    columns
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let columns = generate(rows);
    let opts = NormalizeOptions::default();
    let threads = rayon::current_num_threads();
    let ns = |secs: f64| secs * 1e9 / rows as f64;
    eprintln!("{rows} values per field, {threads} threads; wall ns per value\n");
    eprintln!(
        "| field | distinct | normalize_with ns/value | derived_columns ns/value | columns | encode ns/value |"
    );
    eprintln!("|---|---|---|---|---|---|");
    let (mut total_values, mut total_columns, mut total_encode) = (0.0, 0.0, 0.0);
    for (i, (kind, values)) in columns.iter().enumerate() {
        let start = Instant::now();
        let produced = values
            .par_iter()
            .filter_map(|v| normalize_with(*kind, v, &opts))
            .count();
        let one_by_one = start.elapsed().as_secs_f64();
        let array = StringArray::from_iter_values(values);
        let start = Instant::now();
        let derived = derived_columns(*kind, &array, &opts).map_or(0, |cols| cols.len());
        let by_column = start.elapsed().as_secs_f64();
        let view = StringViewArray::from_iter_values(values);
        let start = Instant::now();
        let coded = CodedColumn::encode(&view, |v| normalize_with(*kind, v, &opts));
        let encoded = start.elapsed().as_secs_f64();
        total_values += one_by_one;
        total_columns += by_column;
        total_encode += encoded;
        let mut distinct: Vec<&String> = values.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let name = if i == 1 {
            "Name (family)".to_owned()
        } else {
            format!("{kind:?}")
        };
        eprintln!(
            "| {name} | {:.0} % | {:.0} | {:.0} | {derived} | {:.0} |",
            100.0 * distinct.len() as f64 / rows as f64,
            ns(one_by_one),
            ns(by_column),
            ns(encoded),
        );
        assert_eq!(coded.codes.len(), rows);
        assert!(produced > 0, "{kind:?} normalised nothing");
    }
    eprintln!(
        "\nall fields: normalize_with {total_values:.2} s, derived_columns {total_columns:.2} s, \
         encode {total_encode:.2} s"
    );
}
