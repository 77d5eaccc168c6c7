//! Contact points (emails, phones, postal addresses) in the one canonical form that consent,
//! withdrawal and opposition matching share with the matcher: the matcher's own normalisers, so
//! that a merge never misses an opt-out that deduplication would see.

use serde::{Deserialize, Serialize};

use super::{NormalizeOptions, Normalizer, normalize_with};

/// What a contact point is, which decides its normaliser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// An email address ([`Normalizer::Email`]).
    Email,
    /// A phone number ([`Normalizer::Phone`]), read in the row's region.
    Phone,
    /// A postal address ([`Normalizer::Address`]).
    Postal,
    /// Anything else: compared as trimmed text.
    Other,
}

impl ContactKind {
    fn normalizer(self) -> Option<Normalizer> {
        match self {
            Self::Email => Some(Normalizer::Email),
            Self::Phone => Some(Normalizer::Phone),
            Self::Postal => Some(Normalizer::Address),
            Self::Other => None,
        }
    }
}

/// The canonical form of one contact point; `None` only for a blank value.
///
/// It is the matcher's normalised value (the `norm` column of
/// [`derived_columns`](super::derived_columns)): an email's canonical address, display name
/// and case dropped; a phone in E.164, read in `opts.default_region` when it has no country
/// code; an address with street types expanded. Syntactically invalid values keep that form
/// too (`JEAN@LOCALHOST` is `jean@localhost`). A value the matcher finds nothing in (masked,
/// `n/a` as a phone) is kept as trimmed text instead of becoming null, so that an opposition
/// entry still matches the identical record value and two unusable values never match through a
/// shared null.
///
/// Provider rules ([`NormalizeOptions::email_provider_rules`]) apply only when `opts` asks.
#[must_use]
pub fn canonical_contact_point(
    kind: ContactKind,
    value: &str,
    opts: &NormalizeOptions,
) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    kind.normalizer()
        .and_then(|n| normalize_with(n, value, opts))
        .or_else(|| Some(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_per_kind() {
        let opts = NormalizeOptions::default();
        let be = NormalizeOptions {
            default_region: "BE".to_owned(),
            ..NormalizeOptions::default()
        };
        let cases: &[(ContactKind, &str, &NormalizeOptions, Option<&str>)] = &[
            (
                ContactKind::Email,
                "Jean Dupont <jean@x.fr>",
                &opts,
                Some("jean@x.fr"),
            ),
            (ContactKind::Email, "JEAN@X.FR ", &opts, Some("jean@x.fr")),
            (
                ContactKind::Email,
                "jan***@x.fr",
                &opts,
                Some("jan***@x.fr"),
            ),
            (ContactKind::Email, " \t", &opts, None),
            (
                ContactKind::Phone,
                "0470 12 34 56",
                &be,
                Some("+32470123456"),
            ),
            (
                ContactKind::Phone,
                "0470 12 34 56",
                &opts,
                Some("+33470123456"),
            ),
            (ContactKind::Phone, " n/a ", &opts, Some("n/a")),
            (
                ContactKind::Postal,
                " 12  av. Foch ",
                &opts,
                Some("12 avenue foch"),
            ),
            (ContactKind::Other, " @jdupont ", &opts, Some("@jdupont")),
        ];
        for (kind, value, opts, want) in cases {
            assert_eq!(
                canonical_contact_point(*kind, value, opts).as_deref(),
                *want,
                "{kind:?} {value:?}"
            );
        }
    }

    /// Splits one line of `tests/data/contact_points.csv`: fields may be double-quoted, with
    /// `""` for a quote inside.
    fn fields(line: &str) -> Vec<String> {
        let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(std::mem::take(&mut field)),
                _ => field.push(c),
            }
        }
        out.push(field);
        out
    }

    /// The shared vectors, also checked by `tests/test_contact_points.py`: the canonical form
    /// (the column kernel, each phone in its row's region) and the matcher's own view agree.
    #[test]
    fn shared_contact_point_vectors() {
        use arrow_array::cast::AsArray;
        use arrow_array::{Array, BooleanArray, StringViewArray};

        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/contact_points.csv"
        );
        let text =
            std::fs::read_to_string(path).expect("tests/data/contact_points.csv is readable");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("kind,region,value,canonical,valid"));
        let rows: Vec<Vec<String>> = lines.map(fields).collect();
        assert!(rows.len() >= 50, "only {} vectors", rows.len());
        let opts = NormalizeOptions::default();
        for row in &rows {
            let [kind, region, value, canonical, valid] = row.as_slice() else {
                panic!("bad row {row:?}");
            };
            let kind: ContactKind =
                serde_json::from_value(kind.as_str().into()).expect("a contact kind");
            let values = StringViewArray::from(vec![value.as_str()]);
            let regions =
                StringViewArray::from(vec![(!region.is_empty()).then_some(region.as_str())]);
            let got = super::super::canonical_contact_points(kind, &values, Some(&regions), &opts)
                .expect("strings");
            let got = (!got.is_null(0)).then(|| got.value(0));
            let want = (!canonical.is_empty()).then_some(canonical.as_str());
            assert_eq!(got, want, "{kind:?} {value:?} in {region:?}");
            let Some(normalizer) = kind.normalizer() else {
                continue;
            };
            let cols = super::super::derived_columns_in_regions(
                normalizer,
                &values,
                Some(&regions),
                &opts,
            )
            .expect("strings");
            let norm = cols[0].1.as_string_view();
            let norm = (!norm.is_null(0)).then(|| norm.value(0));
            if valid.is_empty() && kind != ContactKind::Postal {
                // Nothing usable for the matcher: missing there, kept as text for consent.
                assert_eq!(norm, None, "{value:?}");
                continue;
            }
            assert_eq!(norm, want, "matcher's form of {value:?} in {region:?}");
            if let Some((_, flags)) = cols.iter().find(|(suffix, _)| suffix == "valid") {
                let flags = flags
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .expect("flags");
                assert_eq!(
                    flags.value(0).to_string(),
                    *valid,
                    "validity of {value:?} in {region:?}"
                );
            }
        }
    }
}
