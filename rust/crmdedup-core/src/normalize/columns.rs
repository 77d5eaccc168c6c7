//! Column-level normalisation over Arrow string arrays, for `normalize` and `profile`.
//!
//! Distinct values are normalised once, in parallel, and the results are spread back to rows.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, StringViewBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StringViewArray};
use arrow_schema::{ArrowError, DataType};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{
    ContactKind, DateFormat, NormalizeOptions, Normalizer, address_parts, canonical_contact_point,
    company_parts, double_metaphone, email_parts, normalize_name, normalize_with, phone_info,
    phonetic_fr, split_region, with_regions,
};

/// Per-column counts for a data-hygiene profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProfileCounts {
    /// Null slots.
    pub nulls: usize,
    /// Non-null values with nothing usable once normalised (blank, only punctuation).
    pub empty: usize,
    /// Non-empty values that fail their kind's validity check (emails, phones) or that are no
    /// date (dates); 0 for kinds without one.
    pub invalid: usize,
    /// Distinct normalised values.
    pub distinct: usize,
    /// Most frequent normalised values with their row counts, most frequent first (at most 10).
    pub top: Vec<(String, usize)>,
}

/// Everything derived from one distinct value. Parts that are slices of `norm` (email local
/// part and domain, phone E.164) are kept as positions to spare allocations.
#[derive(Default)]
struct Derived {
    norm: Option<String>,
    valid: Option<bool>,
    extra: [Option<String>; 3],
    /// Phone line type.
    tag: Option<&'static str>,
    /// Email: position of the last `@` in `norm`; phone: `Some(0)` when `norm` is E.164.
    split: Option<usize>,
}

impl Derived {
    /// The value of the `slot`-th extra column of `kind` (see [`extra_suffixes`]).
    fn extra(&self, kind: Normalizer, slot: usize) -> Option<&str> {
        let norm = self.norm.as_deref();
        match (kind, slot) {
            (Normalizer::Email, 0) => norm.map(|n| &n[..self.split.unwrap_or(n.len())]),
            (Normalizer::Email, 1) => self.split.and_then(|at| norm.map(|n| &n[at + 1..])),
            (Normalizer::Phone, 0) => self.split.and(norm),
            (Normalizer::Phone, 1) => self.tag,
            _ => self.extra[slot].as_deref(),
        }
    }
}

/// Suffixes of the columns derived for `kind`, after `norm` (and `valid` for emails and phones).
fn extra_suffixes(kind: Normalizer) -> &'static [&'static str] {
    match kind {
        Normalizer::Name => &["phonetic_fr", "dmetaphone", "dmetaphone_alt"],
        Normalizer::Email => &["local", "domain"],
        Normalizer::Phone => &["e164", "kind"],
        Normalizer::Company => &["legal_form"],
        Normalizer::Address => &["house_number", "street"],
        _ => &[],
    }
}

fn has_validity(kind: Normalizer) -> bool {
    matches!(kind, Normalizer::Email | Normalizer::Phone)
}

fn derive(kind: Normalizer, value: &str, opts: &NormalizeOptions) -> Derived {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    match kind {
        Normalizer::Name => {
            let norm = non_empty(normalize_name(value));
            let Some(norm_str) = norm.as_deref() else {
                return Derived::default();
            };
            let (primary, alternate) = double_metaphone(norm_str);
            Derived {
                extra: [
                    non_empty(phonetic_fr(value)),
                    non_empty(primary),
                    non_empty(alternate),
                ],
                norm,
                ..Derived::default()
            }
        }
        Normalizer::Email => match email_parts(value, opts) {
            Some(p) => Derived {
                valid: Some(p.valid),
                split: p.canonical.rfind('@'),
                norm: Some(p.canonical),
                ..Derived::default()
            },
            None => Derived::default(),
        },
        Normalizer::Phone => {
            if let Some(info) = phone_info(value, opts) {
                Derived {
                    valid: Some(info.valid),
                    tag: Some(info.kind.as_str()),
                    split: Some(0),
                    norm: Some(info.e164),
                    ..Derived::default()
                }
            } else {
                let norm = normalize_with(Normalizer::Phone, value, opts);
                Derived {
                    valid: norm.as_ref().map(|_| false),
                    norm,
                    ..Derived::default()
                }
            }
        }
        Normalizer::Company => match company_parts(value) {
            Some(p) => Derived {
                norm: Some(p.name),
                extra: [p.legal_form, None, None],
                ..Derived::default()
            },
            None => Derived::default(),
        },
        Normalizer::Address => match address_parts(value) {
            Some(p) => Derived {
                norm: normalize_with(Normalizer::Address, value, opts),
                extra: [p.house_number, non_empty(p.street), None],
                ..Derived::default()
            },
            None => Derived::default(),
        },
        _ => Derived {
            norm: normalize_with(kind, value, opts),
            ..Derived::default()
        },
    }
}

/// The column's date format when `kind` is [`Normalizer::Date`].
fn date_format(
    kind: Normalizer,
    distinct: &Distinct<'_>,
    opts: &NormalizeOptions,
) -> Option<DateFormat> {
    (kind == Normalizer::Date)
        .then(|| DateFormat::infer(distinct.values.iter().copied(), &opts.default_region))
}

/// Row → distinct-value index (`None` for nulls), and the distinct values.
struct Distinct<'a> {
    rows: Vec<Option<u32>>,
    values: Vec<&'a str>,
}

fn distinct_values(values: &dyn Array) -> Result<Distinct<'_>, ArrowError> {
    fn collect<'a>(iter: impl Iterator<Item = Option<&'a str>>, len: usize) -> Distinct<'a> {
        let mut index: FxHashMap<&'a str, u32> = FxHashMap::default();
        let mut values = Vec::new();
        let mut rows = Vec::with_capacity(len);
        for value in iter {
            rows.push(value.map(|v| {
                *index.entry(v).or_insert_with(|| {
                    values.push(v);
                    (values.len() - 1) as u32
                })
            }));
        }
        Distinct { rows, values }
    }
    Ok(match values.data_type() {
        DataType::Utf8 => collect(values.as_string::<i32>().iter(), values.len()),
        DataType::LargeUtf8 => collect(values.as_string::<i64>().iter(), values.len()),
        DataType::Utf8View => collect(values.as_string_view().iter(), values.len()),
        other => {
            return Err(ArrowError::InvalidArgumentError(format!(
                "expected a string column (Utf8, LargeUtf8 or Utf8View), got {other}"
            )));
        }
    })
}

fn string_column<'a>(rows: &[Option<u32>], get: impl Fn(usize) -> Option<&'a str>) -> ArrayRef {
    let mut builder = StringViewBuilder::with_capacity(rows.len());
    for row in rows {
        match row.and_then(|i| get(i as usize)).filter(|v| !v.is_empty()) {
            Some(value) => builder.append_value(value),
            None => builder.append_null(),
        }
    }
    Arc::new(builder.finish())
}

/// `values` tagged with `regions` (see [`with_regions`]) when they are phone numbers and
/// regions are given; `None` otherwise.
fn tag_phones(
    kind: Normalizer,
    values: &dyn Array,
    regions: Option<&StringViewArray>,
) -> Result<Option<StringViewArray>, ArrowError> {
    let Some(regions) = regions.filter(|_| kind == Normalizer::Phone) else {
        return Ok(None);
    };
    let strings = arrow_cast::cast(values, &DataType::Utf8View)?;
    with_regions(strings.as_string_view(), regions).map(Some)
}

/// The options and value of one distinct value, tagged with its region or not.
fn row_options<'a, 'o>(
    tagged: bool,
    value: &'a str,
    opts: &'o NormalizeOptions,
) -> (Cow<'o, NormalizeOptions>, &'a str) {
    if tagged {
        split_region(value, opts)
    } else {
        (Cow::Borrowed(opts), value)
    }
}

/// Canonical contact points of a string column, one per row (see [`canonical_contact_point`]):
/// phones read in `regions[row]` when that is a region code, else in `opts.default_region`;
/// nulls and blanks give nulls.
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when `values` is not `Utf8`, `LargeUtf8` or `Utf8View`,
/// or when `regions` has another length.
pub fn canonical_contact_points(
    kind: ContactKind,
    values: &dyn Array,
    regions: Option<&StringViewArray>,
    opts: &NormalizeOptions,
) -> Result<StringViewArray, ArrowError> {
    let tagged = if kind == ContactKind::Phone {
        tag_phones(Normalizer::Phone, values, regions)?
    } else {
        None
    };
    let distinct = distinct_values(tagged.as_ref().map_or(values, |t| t as &dyn Array))?;
    let canonical: Vec<Option<String>> = distinct
        .values
        .par_iter()
        .with_min_len(256)
        .map(|v| {
            let (opts, v) = row_options(tagged.is_some(), v, opts);
            canonical_contact_point(kind, v, &opts)
        })
        .collect();
    let mut builder = StringViewBuilder::with_capacity(distinct.rows.len());
    for row in &distinct.rows {
        builder.append_option(row.and_then(|i| canonical[i as usize].as_deref()));
    }
    Ok(builder.finish())
}

/// A date column as `YYYY-MM-DD` text, the order of day and month inferred from its own values
/// (see [`DateFormat::infer`]); values that are no date become nulls.
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when `values` is not `Utf8`, `LargeUtf8` or `Utf8View`.
pub fn date_column(values: &dyn Array, region: &str) -> Result<StringViewArray, ArrowError> {
    let distinct = distinct_values(values)?;
    let fmt = DateFormat::infer(distinct.values.iter().copied(), region);
    let parsed: Vec<Option<String>> = distinct
        .values
        .par_iter()
        .with_min_len(256)
        .map(|v| fmt.normalize(v))
        .collect();
    let mut builder = StringViewBuilder::with_capacity(distinct.rows.len());
    for row in &distinct.rows {
        builder.append_option(row.and_then(|i| parsed[i as usize].as_deref()));
    }
    Ok(builder.finish())
}

/// Normalised and derived columns of a string column, as `(suffix, column)` pairs in a fixed
/// order per kind. All kinds give `norm`; emails add `valid`, `local`, `domain`; phones `valid`,
/// `e164`, `kind`; names `phonetic_fr`, `dmetaphone`, `dmetaphone_alt`; companies `legal_form`;
/// addresses `house_number`, `street`. Strings come back as `Utf8View`, flags as `Boolean`; a
/// null or unusable value gives nulls.
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when `values` is not `Utf8`, `LargeUtf8` or `Utf8View`.
pub fn derived_columns(
    kind: Normalizer,
    values: &dyn Array,
    opts: &NormalizeOptions,
) -> Result<Vec<(String, ArrayRef)>, ArrowError> {
    derived_columns_in_regions(kind, values, None, opts)
}

/// [`derived_columns`], phone numbers read in their row's region: `regions` holds a code per
/// row (see [`region_code`](super::region_code)); rows without one use `opts.default_region`.
/// Other kinds ignore `regions`.
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when `values` is not `Utf8`, `LargeUtf8` or `Utf8View`,
/// or when `regions` has another length.
pub fn derived_columns_in_regions(
    kind: Normalizer,
    values: &dyn Array,
    regions: Option<&StringViewArray>,
    opts: &NormalizeOptions,
) -> Result<Vec<(String, ArrayRef)>, ArrowError> {
    let tagged = tag_phones(kind, values, regions)?;
    let distinct = distinct_values(tagged.as_ref().map_or(values, |t| t as &dyn Array))?;
    let date = date_format(kind, &distinct, opts);
    let derived: Vec<Derived> = distinct
        .values
        .par_iter()
        .map(|v| {
            if let Some(fmt) = &date {
                return Derived {
                    norm: fmt.normalize(v),
                    ..Derived::default()
                };
            }
            let (opts, v) = row_options(tagged.is_some(), v, opts);
            derive(kind, v, &opts)
        })
        .collect();
    let rows = &distinct.rows;
    let mut out = Vec::with_capacity(6);
    out.push((
        "norm".to_owned(),
        string_column(rows, |i| derived[i].norm.as_deref()),
    ));
    if has_validity(kind) {
        let mut builder = BooleanBuilder::with_capacity(rows.len());
        for row in rows {
            builder.append_option(row.and_then(|i| derived[i as usize].valid));
        }
        out.push(("valid".to_owned(), Arc::new(builder.finish()) as ArrayRef));
    }
    for (slot, suffix) in extra_suffixes(kind).iter().enumerate() {
        let column = string_column(rows, |i| derived[i].extra(kind, slot));
        out.push(((*suffix).to_owned(), column));
    }
    Ok(out)
}

/// Null, empty, invalid and distinct counts of a string column once normalised with `kind`.
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when `values` is not `Utf8`, `LargeUtf8` or `Utf8View`.
pub fn profile_counts(
    kind: Normalizer,
    values: &dyn Array,
    opts: &NormalizeOptions,
) -> Result<ProfileCounts, ArrowError> {
    profile_counts_in_regions(kind, values, None, opts)
}

/// [`profile_counts`], phone numbers read in their row's region as in
/// [`derived_columns_in_regions`].
///
/// # Errors
///
/// As [`derived_columns_in_regions`].
pub fn profile_counts_in_regions(
    kind: Normalizer,
    values: &dyn Array,
    regions: Option<&StringViewArray>,
    opts: &NormalizeOptions,
) -> Result<ProfileCounts, ArrowError> {
    let tagged = tag_phones(kind, values, regions)?;
    let distinct = distinct_values(tagged.as_ref().map_or(values, |t| t as &dyn Array))?;
    let date = date_format(kind, &distinct, opts);
    let derived: Vec<(Option<String>, Option<bool>)> = distinct
        .values
        .par_iter()
        .map(|v| {
            if let Some(fmt) = &date {
                // A value that is not blank but no date is counted as invalid, not as empty.
                let norm = fmt.normalize(v);
                let valid = (norm.is_some() || !v.trim().is_empty()).then_some(norm.is_some());
                (norm, valid)
            } else if has_validity(kind) {
                let (opts, v) = row_options(tagged.is_some(), v, opts);
                let d = derive(kind, v, &opts);
                (d.norm, d.valid)
            } else {
                (normalize_with(kind, v, opts), None)
            }
        })
        .collect();
    let mut counts = ProfileCounts::default();
    let mut per_norm: FxHashMap<&str, usize> = FxHashMap::default();
    for row in &distinct.rows {
        let Some(i) = row else {
            counts.nulls += 1;
            continue;
        };
        let (norm, valid) = &derived[*i as usize];
        match norm {
            None if *valid == Some(false) => counts.invalid += 1,
            None => counts.empty += 1,
            Some(norm) => {
                if *valid == Some(false) {
                    counts.invalid += 1;
                }
                *per_norm.entry(norm.as_str()).or_default() += 1;
            }
        }
    }
    counts.distinct = per_norm.len();
    let mut top: Vec<(&str, usize)> = per_norm.into_iter().collect();
    top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    counts.top = top
        .into_iter()
        .take(10)
        .map(|(v, n)| (v.to_owned(), n))
        .collect();
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Int32Array, LargeStringArray, StringArray, StringViewArray};

    fn column<'a>(cols: &'a [(String, ArrayRef)], suffix: &str) -> &'a StringViewArray {
        let (_, col) = cols
            .iter()
            .find(|(s, _)| s == suffix)
            .expect("column present");
        col.as_string_view()
    }

    #[test]
    fn phone_columns() {
        let values = StringArray::from(vec![
            Some("06 12 34 56 78"),
            None,
            Some("+33 6 12 34 56 78"),
            Some("  "),
            Some("01 23"),
            Some("01 42 68 53 00"),
        ]);
        let cols = derived_columns(Normalizer::Phone, &values, &NormalizeOptions::default())
            .expect("strings");
        let names: Vec<&str> = cols.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(names, ["norm", "valid", "e164", "kind"]);
        let norm = column(&cols, "norm");
        assert_eq!(norm.value(0), "+33612345678");
        assert!(norm.is_null(1) && norm.is_null(3));
        assert_eq!(norm.value(2), "+33612345678");
        let valid = cols[1]
            .1
            .as_any()
            .downcast_ref::<BooleanArray>()
            .expect("booleans");
        assert!(valid.value(0) && valid.is_null(1) && !valid.value(4) && valid.value(5));
        let kind = column(&cols, "kind");
        assert_eq!((kind.value(0), kind.value(5)), ("mobile", "fixed"));
    }

    #[test]
    fn name_email_company_address_columns() {
        let opts = NormalizeOptions::default();
        let names = LargeStringArray::from(vec!["Lefèvre", "LEFEBVRE"]);
        let cols = derived_columns(Normalizer::Name, &names, &opts).expect("strings");
        let key = column(&cols, "phonetic_fr");
        assert_eq!(key.value(0), key.value(1));
        assert_eq!(column(&cols, "norm").value(1), "lefebvre");

        let emails = StringViewArray::from(vec!["J.Dupont@Orange.FR", "nope"]);
        let cols = derived_columns(Normalizer::Email, &emails, &opts).expect("strings");
        assert_eq!(column(&cols, "domain").value(0), "orange.fr");
        assert_eq!(column(&cols, "local").value(0), "j.dupont");
        assert!(column(&cols, "domain").is_null(1));

        let companies = StringArray::from(vec!["SARL Dupont & Fils"]);
        let cols = derived_columns(Normalizer::Company, &companies, &opts).expect("strings");
        assert_eq!(column(&cols, "legal_form").value(0), "sarl");

        let addresses = StringArray::from(vec!["12 bis av. Foch"]);
        let cols = derived_columns(Normalizer::Address, &addresses, &opts).expect("strings");
        assert_eq!(column(&cols, "house_number").value(0), "12 bis");
        assert_eq!(column(&cols, "norm").value(0), "12 bis avenue foch");
    }

    #[test]
    fn non_strings_are_rejected() {
        let ints = Int32Array::from(vec![1, 2]);
        let err = derived_columns(Normalizer::Text, &ints, &NormalizeOptions::default());
        assert!(err.is_err_and(|e| e.to_string().contains("Int32")));
        assert!(profile_counts(Normalizer::Text, &ints, &NormalizeOptions::default()).is_err());
    }

    #[test]
    fn profile_of_an_email_column() {
        let values = StringArray::from(vec![
            Some("a@x.fr"),
            Some("A@X.FR "),
            None,
            Some(" "),
            Some("not an email"),
            Some("b@y.fr"),
        ]);
        let counts = profile_counts(Normalizer::Email, &values, &NormalizeOptions::default())
            .expect("strings");
        assert_eq!(
            (counts.nulls, counts.empty, counts.invalid, counts.distinct),
            (1, 1, 1, 3)
        );
        assert_eq!(counts.top[0], ("a@x.fr".to_owned(), 2));
    }
}
