use super::*;
use crate::cluster::Decisions;
use crate::pipeline::{RunOutput, run};
use crate::progress::NoProgress;
use crate::settings::tests::sample;
use arrow_array::{Float64Array, Int64Array, StringArray};

fn contacts(rows: &[(&str, &str, Option<&str>, Option<&str>)]) -> RecordBatch {
    let text = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    RecordBatch::try_from_iter(vec![
        ("id", text(rows.iter().map(|r| Some(r.0)).collect())),
        ("first_name", text(rows.iter().map(|r| Some(r.1)).collect())),
        ("last_name", text(rows.iter().map(|r| r.2).collect())),
        ("email", text(rows.iter().map(|r| r.3).collect())),
    ])
    .unwrap()
}

fn people() -> RecordBatch {
    contacts(&[
        (
            "a1",
            "Jean",
            Some("Lefèvre"),
            Some("jean.lefevre@orange.fr"),
        ),
        (
            "a2",
            "JEAN",
            Some("LEFEVRE"),
            Some("Jean.Lefevre@Orange.fr "),
        ),
        ("a3", "Jean", Some("Lefevre"), None),
        ("b1", "Marie", Some("Dupont"), Some("marie.dupont@free.fr")),
        ("b2", "Marie", Some("Dupond"), Some("marie.dupont@free.fr")),
        ("c1", "Paul", Some("Martin"), Some("paul@x.fr")),
        ("d1", "Luc", Some("Martin"), Some("luc@y.fr")),
        ("e1", "Luc", None, Some("luc@z.fr")),
        ("f1", "Paule", Some("Martin"), Some("paul@x.fr")),
    ])
}

fn dedupe(batch: &RecordBatch, tf: Option<&TfTables>) -> RunOutput {
    let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
    let s = sample();
    run(
        &[(batch, ids)],
        &s,
        None,
        tf,
        &Decisions::default(),
        &NoProgress,
    )
    .unwrap()
}

fn weights(out: &RunOutput) -> Vec<(String, String, f64)> {
    let col = |i: usize| {
        out.pairs
            .column(i)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
    };
    let w = out
        .pairs
        .column(2)
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    (0..w.len())
        .map(|i| {
            (
                col(0).value(i).to_owned(),
                col(1).value(i).to_owned(),
                w.value(i),
            )
        })
        .collect()
}

#[test]
fn counts_normalised_values_of_term_frequency_comparisons() {
    let t = TfTables::of_data(&[&people()], &sample(), &NoProgress).unwrap();
    let expected = TfTable {
        comparison: "last_name".to_owned(),
        total: 8,
        values: vec![
            ("lefevre".to_owned(), 3),
            ("dupont".to_owned(), 1),
            ("dupond".to_owned(), 1),
            ("martin".to_owned(), 3),
        ],
    };
    assert_eq!(t.tables, vec![expected]);
}

#[test]
fn linkage_counts_both_tables_stacked() {
    let batch = people();
    let (l, r) = (batch.slice(0, 4), batch.slice(4, 5));
    let both = TfTables::of_data(&[&l, &r], &sample(), &NoProgress).unwrap();
    let whole = TfTables::of_data(&[&batch], &sample(), &NoProgress).unwrap();
    assert_eq!(both, whole);
}

#[test]
fn own_tables_give_the_run_without_tables() {
    let batch = people();
    let own = TfTables::of_data(&[&batch], &sample(), &NoProgress).unwrap();
    let (plain, frozen) = (dedupe(&batch, None), dedupe(&batch, Some(&own)));
    assert!(plain.pairs.num_rows() >= 3);
    assert_eq!(plain.pairs, frozen.pairs);
    assert_eq!(plain.clusters, frozen.clusters);
    assert_eq!(
        frozen.session.explain(0, 1).unwrap(),
        plain.session.explain(0, 1).unwrap()
    );
}

#[test]
fn given_tables_replace_the_data_counts() {
    let batch = people();
    let own = TfTables::of_data(&[&batch], &sample(), &NoProgress).unwrap();
    let mut frozen = own.clone();
    // Lefevre made common and the total grown: its pairs weigh less; Martin is now absent,
    // and an absent value weighs as one seen once.
    let t = &mut frozen.tables[0];
    t.values = vec![("lefevre".to_owned(), 500), ("dupont".to_owned(), 1)];
    t.total = 1000;
    let (plain, given) = (
        weights(&dedupe(&batch, None)),
        weights(&dedupe(&batch, Some(&frozen))),
    );
    let of = |w: &[(String, String, f64)], a: &str, b: &str| {
        w.iter().find(|p| p.0 == a && p.1 == b).map(|p| p.2)
    };
    assert!(of(&given, "a1", "a2").unwrap() < of(&plain, "a1", "a2").unwrap());
    // c1 and f1, both Martin.
    let martin = |tables: &TfTables| {
        let rows = dedupe(&batch, Some(tables)).session.explain(5, 8).unwrap();
        rows.iter()
            .find(|r| r.comparison == "last_name")
            .unwrap()
            .tf_adjustment
    };
    let adj = martin(&frozen);
    let mut once = frozen.clone();
    once.tables[0].values.push(("martin".to_owned(), 1));
    let same = martin(&once);
    assert!(
        adj > 0.0 && adj.to_bits() == same.to_bits(),
        "{adj} vs {same}"
    );
}

#[test]
fn arrow_round_trip() {
    let t = TfTables::of_data(&[&people()], &sample(), &NoProgress).unwrap();
    let batch = t.to_batch().unwrap();
    assert_eq!(batch.schema(), TfTables::schema());
    assert_eq!(batch.num_rows(), 5);
    assert!(batch.column(1).is_null(0));
    assert_eq!(TfTables::from_batch(&batch, &sample()).unwrap(), t);
}

type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<i64>);

fn read(rows: &[Row<'_>]) -> String {
    let batch = RecordBatch::try_from_iter(vec![
        (
            "comparison",
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "value",
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
        ),
        (
            "count",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
        ),
    ])
    .unwrap();
    TfTables::from_batch(&batch, &sample())
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_tables_name_the_comparison_and_row() {
    let total = (Some("last_name"), None, Some(3));
    let cases: Vec<(Vec<Row<'_>>, &str)> = vec![
        (
            vec![total, (Some("nom"), Some("x"), Some(1))],
            "row 2 (counting from 1): comparison `nom` is not in the settings",
        ),
        (
            vec![total, (Some("email"), None, Some(1))],
            "row 2 (counting from 1): comparison `email` has term_frequency off",
        ),
        (
            vec![total, (Some("last_name"), Some("x"), None)],
            "row 2 (counting from 1): comparison `last_name`: count is null",
        ),
        (
            vec![(Some("last_name"), Some("x"), Some(-1)), total],
            "row 1 (counting from 1): comparison `last_name`: count -1 is negative",
        ),
        (
            vec![total, (None, Some("x"), Some(1))],
            "row 2 (counting from 1): comparison is null",
        ),
        (
            vec![
                total,
                (Some("last_name"), Some("x"), Some(1)),
                (Some("last_name"), Some("x"), Some(1)),
            ],
            "row 3 (counting from 1): comparison `last_name`: value \"x\" is also at row 2",
        ),
        (
            vec![(Some("last_name"), Some("x"), Some(1))],
            "comparison `last_name` has no total row",
        ),
        (
            vec![],
            "comparison `last_name` has term_frequency on but no table",
        ),
        (
            vec![total, (Some("last_name"), Some("x"), Some(4))],
            "less than the sum of the value counts, 4",
        ),
    ];
    for (rows, expected) in cases {
        let e = read(&rows);
        assert!(e.starts_with("tf tables") && e.contains(expected), "{e}");
    }
}
