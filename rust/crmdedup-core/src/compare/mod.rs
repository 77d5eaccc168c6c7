//! Comparisons: grade a pair of normalised values into ordered levels.
//!
//! Level 0 is "else" (disagreement), the top level is exact agreement, fuzzy levels sit between
//! in order of strictness. A null on either side gives [`NULL_LEVEL`]: no evidence either way.

mod grade;
mod levels;
mod similarity;

pub use grade::{Graded, grade, pattern_histogram};
pub use similarity::{
    MAX_COMPARED_CHARS, damerau_distance, jaccard_similarity, jaro_winkler_similarity,
    levenshtein_distance, typo_jaccard_similarity,
};

use crate::column::CodedColumn;
use crate::settings::{ComparisonSpec, Method};
use similarity::{compared_part, token_set};

/// Level of a comparison where either value is missing.
pub const NULL_LEVEL: i8 = -1;

/// Human-readable labels of a comparison's levels, index = level.
#[must_use]
pub fn level_labels(spec: &ComparisonSpec) -> Vec<String> {
    let mut labels = vec!["else".to_owned()];
    let metric = match spec.method {
        Method::Exact => "",
        Method::JaroWinkler | Method::Name => "jaro_winkler >=",
        Method::Date => {
            return [
                "else",
                "year off by one",
                "one part differs",
                "day and month transposed",
            ]
            .into_iter()
            .chain(["exact"])
            .map(str::to_owned)
            .collect();
        }
        Method::Levenshtein => "levenshtein <=",
        Method::DamerauLevenshtein => "damerau_levenshtein <=",
        Method::TokenJaccard => "token_jaccard >=",
    };
    if spec.method == Method::Name {
        labels.push("initial or prefix".to_owned());
        labels.push("same phonetic key".to_owned());
    }
    for t in spec.thresholds.iter().rev() {
        labels.push(format!("{metric} {t}"));
    }
    if spec.method == Method::Name {
        labels.push("same given name (short form)".to_owned());
    }
    labels.push("exact".to_owned());
    labels
}

/// A comparison bound to its coded column, ready to grade pairs of rows.
#[derive(Debug)]
pub struct Comparison<'a> {
    /// The settings it comes from.
    pub spec: &'a ComparisonSpec,
    /// The normalised column.
    pub column: &'a CodedColumn,
    /// Number of levels (else, fuzzy levels, exact).
    pub n_levels: usize,
    /// The column's distinct values end to end (`text[offsets[i]..offsets[i + 1]]`), read
    /// without chasing one heap pointer per value: grading is bound by memory, not arithmetic.
    text: String,
    offsets: Vec<usize>,
    /// For token Jaccard: each value's sorted word hashes, likewise end to end.
    tokens: Vec<u64>,
    token_offsets: Vec<usize>,
    /// For names: hash of each value's canonical given name and of its phonetic key.
    canonical: Vec<u64>,
    phonetic: Vec<u64>,
}

/// Items laid end to end in one buffer, with `offsets[i]..offsets[i + 1]` the span of item `i`
/// (`len` tells the buffer's length after each push).
fn end_to_end<I: Iterator, B>(
    items: I,
    mut buffer: B,
    mut push: impl FnMut(&mut B, I::Item),
    len: impl Fn(&B) -> usize,
) -> (B, Vec<usize>) {
    let mut offsets = vec![0];
    for item in items {
        push(&mut buffer, item);
        offsets.push(len(&buffer));
    }
    (buffer, offsets)
}

fn hash_str(value: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(value.as_bytes());
    h.finish()
}

impl<'a> Comparison<'a> {
    /// Bind `spec` to `column`.
    #[must_use]
    pub fn new(spec: &'a ComparisonSpec, column: &'a CodedColumn) -> Self {
        use rayon::prelude::*;
        let (tokens, token_offsets) = if spec.method == Method::TokenJaccard {
            let sets: Vec<Vec<u64>> = column
                .values
                .par_iter()
                .map(|v| token_set(compared_part(v)))
                .collect();
            end_to_end(
                sets.iter(),
                Vec::new(),
                |out: &mut Vec<u64>, t| out.extend_from_slice(t),
                Vec::len,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let (text, offsets) = if spec.method == Method::TokenJaccard {
            (String::new(), Vec::new())
        } else {
            end_to_end(
                column.values.iter(),
                String::new(),
                |out: &mut String, v| out.push_str(compared_part(v)),
                String::len,
            )
        };
        let (canonical, phonetic) = if spec.method == Method::Name {
            column
                .values
                .par_iter()
                .map(|v| {
                    let canonical = crate::normalize::canonical_name(v);
                    (
                        hash_str(&canonical),
                        hash_str(&crate::normalize::phonetic_fr(v)),
                    )
                })
                .unzip()
        } else {
            (Vec::new(), Vec::new())
        };
        let extra = match spec.method {
            Method::Name | Method::Date => 3,
            _ => 0,
        };
        Self {
            spec,
            column,
            n_levels: spec.thresholds.len() + 2 + extra,
            text,
            offsets,
            tokens,
            token_offsets,
            canonical,
            phonetic,
        }
    }

    /// Distinct value `code`, from the end-to-end copy.
    fn value(&self, code: usize) -> &str {
        &self.text[self.offsets[code]..self.offsets[code + 1]]
    }

    /// Level of rows `a` and `b`.
    #[must_use]
    pub fn level(&self, a: usize, b: usize) -> i8 {
        self.level_of_codes(self.column.codes[a], self.column.codes[b])
    }

    /// Word hashes of distinct value `code` (token Jaccard).
    fn tokens_of(&self, code: usize) -> &[u64] {
        &self.tokens[self.token_offsets[code]..self.token_offsets[code + 1]]
    }
}

/// The given-name and surname comparisons (named `first_name` and `last_name`, both graded
/// as names), whose values people also write in each other's field.
#[must_use]
pub fn name_fields(comparisons: &[Comparison<'_>]) -> Option<(usize, usize)> {
    let find = |name: &str| {
        comparisons
            .iter()
            .position(|c| c.spec.name == name && c.spec.method == Method::Name)
    };
    Some((find("first_name")?, find("last_name")?))
}

/// Every comparison's level for rows `a` and `b`, as bulk grading gives them.
#[must_use]
pub fn levels(comparisons: &[Comparison<'_>], a: usize, b: usize) -> Vec<i8> {
    let mut g: Vec<i8> = comparisons.iter().map(|c| c.level(a, b)).collect();
    if let Some(names) = name_fields(comparisons) {
        let codes =
            |row: usize| -> Vec<u32> { comparisons.iter().map(|c| c.column.codes[row]).collect() };
        swapped_names(comparisons, names, (&codes(a), &codes(b)), &mut g);
    }
    g
}

/// Given name and surname written in each other's field (`Moreau Marine` and `Marine Moreau`):
/// when both disagree in place, each row's given name is compared with the other's surname,
/// and both fields take the Jaro-Winkler level of the weaker of the two cross similarities
/// (the same whichever row comes first) when it meets a threshold. `row_a` and `row_b` are the rows'
/// value codes by comparison.
pub fn swapped_names(
    comparisons: &[Comparison<'_>],
    (first, last): (usize, usize),
    (row_a, row_b): (&[u32], &[u32]),
    levels: &mut [i8],
) {
    if levels[first] != 0 || levels[last] != 0 {
        return;
    }
    let (given, family) = (&comparisons[first], &comparisons[last]);
    let similarity = |x: &str, y: &str| {
        if x == y {
            1.0
        } else {
            jaro_winkler_similarity(x, y)
        }
    };
    let weaker = similarity(
        given.value(row_a[first] as usize),
        family.value(row_b[last] as usize),
    )
    .min(similarity(
        family.value(row_a[last] as usize),
        given.value(row_b[first] as usize),
    ));
    // Never the exact level, even for equal values: its term-frequency adjustment reads one
    // row's value, which would then depend on which row comes first.
    let grade = |own: &Comparison<'_>| -> i8 {
        let top = own.n_levels - 1;
        own.spec
            .thresholds
            .iter()
            .position(|&t| weaker >= t)
            .map_or(0, |i| (top - 2 - i) as i8)
    };
    let (g, f) = (grade(given), grade(family));
    if g > 0 && f > 0 {
        levels[first] = g;
        levels[last] = f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;
    use arrow_array::StringViewArray;
    use proptest::prelude::*;

    fn spec(method: Method, thresholds: Vec<f64>) -> ComparisonSpec {
        ComparisonSpec {
            name: "x".into(),
            column: "x".into(),
            normalizer: Normalizer::Text,
            method,
            thresholds,
            term_frequency: false,
            shared: false,
            group: String::new(),
        }
    }

    fn column(values: &[Option<&str>]) -> CodedColumn {
        CodedColumn::encode(&StringViewArray::from(values.to_vec()), |s| {
            crate::normalize::normalize(Normalizer::Text, s)
        })
    }

    /// `Moreau Marine` / `Marine Moreau`: both fields agree once read across; two people
    /// whose names only half cross (`Paul Moreau` / `Marine Paul`) keep disagreeing.
    #[test]
    fn given_name_and_surname_are_graded_across_fields_when_swapped() {
        let first = column(&[
            Some("Moreau"),
            Some("Marine"),
            Some("Paul"),
            Some("Marine"),
            Some("Anne"),
            Some("Moreaux"),
        ]);
        let last = column(&[
            Some("Marine"),
            Some("Moreau"),
            Some("Moreau"),
            Some("Paul"),
            None,
            Some("Marine"),
        ]);
        let (mut f, mut l) = (
            spec(Method::Name, vec![0.92, 0.85]),
            spec(Method::Name, vec![0.94, 0.85]),
        );
        f.name = "first_name".into();
        l.name = "last_name".into();
        let comparisons = [Comparison::new(&f, &first), Comparison::new(&l, &last)];
        assert_eq!(name_fields(&comparisons), Some((0, 1)));
        let top = (comparisons[0].n_levels - 1) as i8;
        assert_eq!(comparisons[0].level(0, 1), 0, "in place they disagree");
        // The strictest similarity level, not exact (whose TF adjustment reads one row).
        assert_eq!(levels(&comparisons, 0, 1), vec![top - 2, top - 2]);
        assert_eq!(levels(&comparisons, 1, 0), vec![top - 2, top - 2]);
        assert_eq!(levels(&comparisons, 2, 3), vec![0, 0]);
        assert_eq!(levels(&comparisons, 3, 2), vec![0, 0]);
        // A typo in one crossed value: the same grades whichever row comes first.
        let typo = levels(&comparisons, 5, 1);
        assert!(typo.iter().all(|&g| g > 0 && g <= top - 2), "{typo:?}");
        assert_eq!(typo, levels(&comparisons, 1, 5));
        // A missing surname is no evidence, in place or across.
        assert_eq!(levels(&comparisons, 4, 0), vec![0, NULL_LEVEL]);
        // Not named as given name and surname: graded in place only.
        f.name = "a".into();
        let comparisons = [Comparison::new(&f, &first), Comparison::new(&l, &last)];
        assert_eq!(name_fields(&comparisons), None);
        assert_eq!(levels(&comparisons, 0, 1), vec![0, 0]);
    }

    #[test]
    fn levels_are_ordered_from_else_to_exact() {
        let col = column(&[
            Some("martin"),
            Some("MARTIN"),
            Some("martine"),
            Some("martan"),
            Some("dupont"),
            None,
        ]);
        let s = spec(Method::Levenshtein, vec![1.0, 2.0]);
        let c = Comparison::new(&s, &col);
        assert_eq!(
            level_labels(&s),
            vec!["else", "levenshtein <= 2", "levenshtein <= 1", "exact"]
        );
        assert_eq!(c.level(0, 1), 3);
        assert_eq!(c.level(0, 2), 2);
        assert_eq!(c.level(2, 3), 1);
        assert_eq!(c.level(0, 4), 0);
        assert_eq!(c.level(0, 5), NULL_LEVEL);
        let s = spec(Method::JaroWinkler, vec![0.95, 0.85]);
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 2), 2); // jw(martin, martine) = 0.971
        assert_eq!(c.level(0, 4), 0);
        let s = spec(Method::Exact, vec![]);
        let c = Comparison::new(&s, &col);
        assert_eq!(
            (c.level(0, 1), c.level(0, 2), c.level(5, 5)),
            (1, 0, NULL_LEVEL)
        );
    }

    #[test]
    fn names_know_short_forms_and_sounds() {
        let col = column(&[
            Some("Alexandre"),
            Some("Alex"),
            Some("Thibault"),
            Some("Tibo"),
            Some("Dupont"),
            Some("Alexandra"),
        ]);
        let s = spec(Method::Name, vec![0.92]);
        let c = Comparison::new(&s, &col);
        let labels = level_labels(&s);
        assert_eq!(
            labels,
            vec![
                "else",
                "initial or prefix",
                "same phonetic key",
                "jaro_winkler >= 0.92",
                "same given name (short form)",
                "exact"
            ]
        );
        assert_eq!(c.n_levels, labels.len());
        assert_eq!(c.level(0, 1), 4);
        assert_eq!(c.level(2, 3), 2);
        assert_eq!(c.level(0, 4), 0);
        assert_eq!(c.level(0, 0), 5);
        assert_eq!(c.level(0, 5), 3);
    }

    #[test]
    fn emails_apart_by_their_initial_disagree() {
        let col = CodedColumn::encode(
            &StringViewArray::from(vec![
                Some("raubry@free.fr"),
                Some("naubry@free.fr"),
                Some("raubri@free.fr"),
            ]),
            |s| crate::normalize::normalize(Normalizer::Email, s),
        );
        let mut s = spec(Method::Levenshtein, vec![1.0, 2.0]);
        s.normalizer = Normalizer::Email;
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 1), 0);
        assert_eq!(c.level(0, 2), 2);
    }

    #[test]
    fn emails_apart_by_their_digits_disagree() {
        let col = CodedColumn::encode(
            &StringViewArray::from(vec![
                Some("catherine@sable.fr"),
                Some("catherine2@sable.fr"),
                Some("williams3@sable.fr"),
                Some("williams2@sable.fr"),
                Some("catherina@sable.fr"),
                Some("catherine2@sable.com"),
            ]),
            |s| crate::normalize::normalize(Normalizer::Email, s),
        );
        let mut s = spec(Method::Levenshtein, vec![1.0, 3.0]);
        s.normalizer = Normalizer::Email;
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 1), 0);
        assert_eq!(c.level(2, 3), 0);
        // A letter apart is a typo; the same local part elsewhere is compared as before.
        assert_eq!(c.level(0, 4), 2);
        assert_eq!(c.level(1, 5), 1);
    }

    #[test]
    fn direct_lines_of_one_switchboard_disagree() {
        let col = CodedColumn::encode(
            &StringViewArray::from(vec![
                Some("+49 40 50916743"),
                Some("+49 40 50916735"),
                Some("+49 40 50916744"),
                Some("+49 40 50916734"),
                Some("+49 40 50916473"),
            ]),
            |s| crate::normalize::normalize(Normalizer::Phone, s),
        );
        let mut s = spec(Method::Levenshtein, vec![1.0, 2.0]);
        s.normalizer = Normalizer::Phone;
        let c = Comparison::new(&s, &col);
        // Two of the last three digits differ: another extension.
        assert_eq!(c.level(0, 1), 0);
        // One digit mistyped, or two neighbours swapped: a typo of one number.
        assert_eq!(c.level(0, 2), 2);
        assert_eq!(c.level(0, 3), 1);
        // Differences before the extension are graded by distance as before.
        assert_eq!(c.level(0, 4), 1);
    }

    #[test]
    fn a_mailbox_name_at_another_domain_is_the_loosest_fuzzy_level() {
        let col = CodedColumn::encode(
            &StringViewArray::from(vec![
                Some("jan.novak@free.fr"),
                Some("jan.novak@acme-industries.com"),
                Some("info@free.fr"),
                Some("info@acme-industries.com"),
                Some("jan.novak@fre.fr"),
                Some("jan_novak2@free.fr"),
                Some("jan_novak2@acme-industries.com"),
                Some("no-reply@free.fr"),
                Some("no-reply@acme-industries.com"),
                Some("service.client@free.fr"),
                Some("service.client@acme-industries.com"),
                Some("jan.novak@"),
                Some("jan.novak+news@free.fr"),
                Some("jannovak@gmail.com"),
                Some("jannovak@free.fr"),
            ]),
            |s| crate::normalize::normalize(Normalizer::Email, s),
        );
        let mut s = spec(Method::Levenshtein, vec![1.0, 3.0]);
        s.normalizer = Normalizer::Email;
        let c = Comparison::new(&s, &col);
        // The same personal mailbox name elsewhere: the loosest fuzzy level, both ways.
        assert_eq!(c.level(0, 1), 1);
        assert_eq!(c.level(1, 0), 1);
        assert_eq!(c.level(5, 6), 1);
        // A role mailbox at two companies is two mailboxes.
        assert_eq!(c.level(2, 3), 0);
        assert_eq!(c.level(7, 8), 0);
        assert_eq!(c.level(9, 10), 0);
        // An address without a domain is no mailbox.
        assert_eq!(c.level(11, 1), 0);
        // A `+tag` does not hide the name.
        assert_eq!(c.level(12, 1), 1);
        // A single word is not known to be a person's name.
        assert_eq!(c.level(14, 13), 0);
        // A closer spelling keeps its stricter level.
        assert_eq!(c.level(0, 4), 2);
    }

    #[test]
    fn one_number_under_two_country_codes_is_the_same_number() {
        let col = CodedColumn::encode(
            &StringViewArray::from(vec![
                Some("+39 335 448 4418"),
                Some("+44 335 448 4418"),
                Some("+33 6 20 31 01 44"),
                Some("+34 06 20 31 01 44"),
                Some("+33 6 20 31 01 45"),
                Some("+1 613 555 1234"),
                Some("+1 415 555 1234"),
                Some("+47 22 33 44 55"),
                Some("+45 22 33 44 55"),
                Some("+49 30 12345678"),
                Some("+49 89 12345678"),
            ]),
            |s| crate::normalize::normalize(Normalizer::Phone, s),
        );
        let mut s = spec(Method::Levenshtein, vec![1.0, 2.0]);
        s.normalizer = Normalizer::Phone;
        let c = Comparison::new(&s, &col);
        // A national number read under the record's country, or with its trunk zero kept:
        // the same number, whatever the edit distance, in both orders.
        assert_eq!(c.level(0, 1), 3);
        assert_eq!(c.level(1, 0), 3);
        assert_eq!(c.level(2, 3), 3);
        assert_eq!(c.level(7, 8), 3);
        // A digit apart in the subscriber's number is a typo graded by distance as before.
        assert_eq!(c.level(2, 4), 2);
        assert_eq!(c.level(3, 4), 0);
        // Another area code of one country is another number (two digits apart here).
        assert_eq!(c.level(5, 6), 1);
        assert_eq!(c.level(9, 10), 1);
    }

    #[test]
    fn huge_values_are_compared_on_their_start() {
        let long_a = "x".repeat(1_000_000);
        let long_b = format!("{}y", "x".repeat(999_999));
        let col = column(&[Some(&long_a), Some(&long_b)]);
        let s = spec(Method::Levenshtein, vec![1.0, 2.0]);
        let c = Comparison::new(&s, &col);
        // The first 200 characters agree: the fuzzy level, not "exact" (the values differ).
        assert_eq!(c.level(0, 1), 2);
    }

    #[test]
    fn truncated_and_initial_names_are_a_level_of_their_own() {
        let col = column(&[
            Some("Caroline"),
            Some("Ca"),
            Some("C."),
            Some("Scott"),
            Some("Bob"),
        ]);
        let s = spec(Method::Name, vec![0.92]);
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 1), 1);
        assert_eq!(c.level(0, 2), 1);
        assert_eq!(c.level(0, 3), 0);
        assert_eq!(c.level(3, 4), 0);
    }

    #[test]
    fn token_jaccard_ignores_word_order() {
        let col = column(&[
            Some("dupont et fils"),
            Some("fils dupont et"),
            Some("dupont freres"),
        ]);
        let s = spec(Method::TokenJaccard, vec![0.9, 0.2]);
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 1), 2);
        assert_eq!(c.level(0, 2), 1);
    }

    #[test]
    fn token_jaccard_reads_a_typo_in_a_long_word_only() {
        let col = column(&[
            Some("lumensoft"),
            Some("lumnesoft"),
            Some("vertexsoft gmbh"),
            Some("vertesoft gmbh"),
            Some("via roma 142"),
            Some("via roma 124"),
            Some("lumensoft lumnesoft"),
        ]);
        let s = spec(Method::TokenJaccard, vec![0.8, 0.4]);
        let c = Comparison::new(&s, &col);
        assert_eq!(c.level(0, 1), 2, "one swap of neighbours in a long word");
        assert_eq!(c.level(2, 3), 2, "one letter dropped");
        assert_eq!(
            c.level(4, 5),
            1,
            "house numbers are short words: exact only"
        );
        // Each word matches once: `lumensoft` exactly, so `lumnesoft` is left over.
        assert_eq!(c.level(0, 6), 1);
    }

    proptest! {
        #[test]
        fn typo_jaccard_is_symmetric_and_never_below_exact_words(
            a in "[a-e ]{0,24}", b in "[a-e ]{0,24}"
        ) {
            let s = typo_jaccard_similarity(&a, &b);
            prop_assert!((s - typo_jaccard_similarity(&b, &a)).abs() < 1e-12);
            prop_assert!(s + 1e-12 >= jaccard_similarity(&token_set(&a), &token_set(&b)));
            prop_assert!((0.0..=1.0).contains(&s));
        }
    }

    proptest! {
        #[test]
        fn jaro_winkler_is_bounded_and_symmetric(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            let s = jaro_winkler_similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!((s - jaro_winkler_similarity(&b, &a)).abs() < 1e-12);
        }

        #[test]
        fn levels_are_symmetric(a in "[a-e ]{0,8}", b in "[a-e ]{0,8}") {
            let col = column(&[Some(&a), Some(&b)]);
            for s in [spec(Method::JaroWinkler, vec![0.9, 0.7]), spec(Method::DamerauLevenshtein, vec![1.0, 3.0]), spec(Method::TokenJaccard, vec![0.5])] {
                let c = Comparison::new(&s, &col);
                prop_assert_eq!(c.level(0, 1), c.level(1, 0));
            }
        }
    }
}
