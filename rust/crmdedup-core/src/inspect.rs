//! What the matcher sees: normalised and derived columns of a table, and per-column profiles
//! (nulls, unusable and invalid values, top values) for data-quality reports.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringViewArray};
use arrow_schema::{Field, Schema};
use serde::Serialize;

use crate::column;
use crate::error::Result;
use crate::normalize::{self, NormalizeOptions, Normalizer};

/// Profile of one column.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnProfile {
    /// Column name.
    pub column: String,
    /// Normaliser used.
    pub normalizer: Normalizer,
    /// Rows.
    pub rows: usize,
    /// Null slots.
    pub nulls: usize,
    /// Values with nothing usable once normalised.
    pub empty: usize,
    /// Values failing their kind's validity check (emails, phones).
    pub invalid: usize,
    /// Distinct normalised values.
    pub distinct: usize,
    /// Most frequent normalised values and their counts.
    pub top: Vec<(String, usize)>,
}

/// The table's own columns followed by `<column>_<suffix>` derived columns for each
/// (column, normaliser) of `specs`.
///
/// # Errors
/// Missing columns or types without a text form.
pub fn normalize_table(
    batch: &RecordBatch,
    specs: &[(String, Normalizer)],
    opts: &NormalizeOptions,
) -> Result<RecordBatch> {
    normalize_table_in_regions(batch, specs, opts, None)
}

/// The region codes of `region_column`, as the matcher reads them for phone numbers.
fn regions_of(batch: &RecordBatch, region_column: Option<&str>) -> Result<Option<StringViewArray>> {
    region_column
        .map(|name| column::as_strings(name, column::column(batch, name)?))
        .transpose()
}

/// [`normalize_table`], each row's phone numbers read in the region of its `region_column`
/// (as the matcher does with `Settings::region_column`).
///
/// # Errors
/// Missing columns or types without a text form.
pub fn normalize_table_in_regions(
    batch: &RecordBatch,
    specs: &[(String, Normalizer)],
    opts: &NormalizeOptions,
    region_column: Option<&str>,
) -> Result<RecordBatch> {
    let regions = regions_of(batch, region_column)?;
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, kind) in specs {
        let strings = column::as_strings(name, column::column(batch, name)?)?;
        for (suffix, array) in
            normalize::derived_columns_in_regions(*kind, &strings, regions.as_ref(), opts)?
        {
            fields.push(Field::new(
                format!("{name}_{suffix}"),
                array.data_type().clone(),
                true,
            ));
            columns.push(array);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Profile each (column, normaliser) of `specs`.
///
/// # Errors
/// Missing columns or types without a text form.
pub fn profile_table(
    batch: &RecordBatch,
    specs: &[(String, Normalizer)],
    opts: &NormalizeOptions,
) -> Result<Vec<ColumnProfile>> {
    profile_table_in_regions(batch, specs, opts, None)
}

/// [`profile_table`], phone numbers read in the region of their row's `region_column`.
///
/// # Errors
/// Missing columns or types without a text form.
pub fn profile_table_in_regions(
    batch: &RecordBatch,
    specs: &[(String, Normalizer)],
    opts: &NormalizeOptions,
    region_column: Option<&str>,
) -> Result<Vec<ColumnProfile>> {
    let regions = regions_of(batch, region_column)?;
    specs
        .iter()
        .map(|(name, kind)| {
            let strings = column::as_strings(name, column::column(batch, name)?)?;
            let p = normalize::profile_counts_in_regions(*kind, &strings, regions.as_ref(), opts)?;
            Ok(ColumnProfile {
                column: name.clone(),
                normalizer: *kind,
                rows: batch.num_rows(),
                nulls: p.nulls,
                empty: p.empty,
                invalid: p.invalid,
                distinct: p.distinct,
                top: p.top,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;

    #[test]
    fn derives_and_profiles_named_columns() {
        let batch = RecordBatch::try_from_iter(vec![(
            "email",
            Arc::new(StringArray::from(vec![
                Some(" A@x.FR"),
                Some("not an email"),
                None,
            ])) as ArrayRef,
        )])
        .unwrap();
        let specs = vec![("email".to_owned(), Normalizer::Email)];
        let out = normalize_table(&batch, &specs, &NormalizeOptions::default()).unwrap();
        assert!(out.schema().column_with_name("email_norm").is_some());
        assert_eq!(out.column(0).len(), 3);
        let profile = profile_table(&batch, &specs, &NormalizeOptions::default()).unwrap();
        assert_eq!(
            (profile[0].rows, profile[0].nulls, profile[0].invalid),
            (3, 1, 1)
        );
        let missing = normalize_table(
            &batch,
            &[("phone".to_owned(), Normalizer::Phone)],
            &NormalizeOptions::default(),
        );
        assert!(missing.unwrap_err().to_string().contains("`phone`"));
    }
}
