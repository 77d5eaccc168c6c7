//! Columns as the engine sees them: ids ranked once, values dictionary-encoded once.
//!
//! Every string type Arrow has (`Utf8`, `LargeUtf8`, `Utf8View`) and the scalar types a CRM export holds
//! (integers, floats, booleans, dates, timestamps) are accepted; values are normalised per
//! distinct raw value, in parallel, then re-encoded so exact agreement is a code comparison.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringViewArray};
use arrow_schema::{DataType, SchemaRef};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};

/// Code of a null or unusable value in a [`CodedColumn`].
pub const NULL: u32 = u32::MAX;

/// Largest number of rows a run takes (row indices are `u32`, one value is reserved).
pub const MAX_ROWS: usize = (u32::MAX - 1) as usize;

/// Concatenate the batches of a table into one batch.
///
/// # Errors
/// Arrow errors when the batches disagree with the schema.
pub fn concat_table(batches: &[RecordBatch], schema: &SchemaRef) -> Result<RecordBatch> {
    let batch = arrow_select::concat::concat_batches(schema, batches)?;
    if batch.num_rows() > MAX_ROWS {
        return Err(Error::TooManyRows {
            rows: batch.num_rows(),
            max: MAX_ROWS,
        });
    }
    Ok(batch)
}

fn available(batch: &RecordBatch) -> String {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| format!("`{}`", f.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Look a column up by name.
///
/// # Errors
/// [`Error::MissingColumn`] listing the columns there are.
pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::MissingColumn {
            column: name.to_owned(),
            available: available(batch),
        })
}

/// View any supported column as strings (a cheap view for string types, a cast otherwise).
///
/// # Errors
/// [`Error::WrongType`] for nested, binary or other types that have no text form.
pub fn as_strings(name: &str, array: &ArrayRef) -> Result<StringViewArray> {
    let dt = array.data_type();
    let ok = match dt {
        DataType::Utf8View => return Ok(array.as_string_view().clone()),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Null | DataType::Boolean => true,
        DataType::Dictionary(_, value) => matches!(
            **value,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        d => {
            d.is_integer()
                || d.is_floating()
                || d.is_temporal()
                || matches!(d, DataType::Decimal128(..))
        }
    };
    if !ok {
        return Err(Error::WrongType {
            column: name.to_owned(),
            found: dt.to_string(),
            expected: "strings, numbers, booleans or dates".to_owned(),
        });
    }
    let cast = if matches!(dt, DataType::Utf8 | DataType::LargeUtf8) {
        arrow_cast::cast(array, &DataType::Utf8View)?
    } else {
        let utf8 = arrow_cast::cast(array, &DataType::Utf8)?;
        arrow_cast::cast(&utf8, &DataType::Utf8View)?
    };
    Ok(cast.as_string_view().clone())
}

/// A column reduced to codes into a table of distinct normalised values.
#[derive(Debug, Clone, Default)]
pub struct CodedColumn {
    /// One code per row; [`NULL`] for null or unusable values.
    pub codes: Vec<u32>,
    /// Distinct normalised values, indexed by code.
    pub values: Vec<String>,
    /// Rows holding each value.
    pub counts: Vec<u32>,
    /// Rows with a usable value.
    pub non_null: usize,
}

impl CodedColumn {
    /// Encode `array` (all rows), normalising each distinct raw value once with `normalize`.
    pub fn encode<F>(array: &StringViewArray, normalize: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Sync,
    {
        // Distinct raw values first: CRM columns repeat a lot, and normalisation is the costly part.
        let mut raw_index: FxHashMap<&str, u32> = FxHashMap::default();
        let mut raw_values: Vec<&str> = Vec::new();
        let raw_codes: Vec<u32> = (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    return NULL;
                }
                let v = array.value(i);
                *raw_index.entry(v).or_insert_with(|| {
                    raw_values.push(v);
                    (raw_values.len() - 1) as u32
                })
            })
            .collect();
        let normalized: Vec<Option<String>> = raw_values
            .par_iter()
            .with_min_len(256)
            .map(|v| normalize(v))
            .collect();
        let mut index: FxHashMap<&str, u32> = FxHashMap::default();
        let mut remap = Vec::with_capacity(normalized.len());
        let mut order: Vec<&str> = Vec::new();
        for n in &normalized {
            remap.push(match n {
                None => NULL,
                Some(s) => *index.entry(s.as_str()).or_insert_with(|| {
                    order.push(s.as_str());
                    (order.len() - 1) as u32
                }),
            });
        }
        let values: Vec<String> = order.iter().map(|s| (*s).to_owned()).collect();
        let mut counts = vec![0u32; values.len()];
        let mut non_null = 0;
        let codes = raw_codes
            .iter()
            .map(|&c| {
                if c == NULL {
                    return NULL;
                }
                let code = remap[c as usize];
                if code != NULL {
                    counts[code as usize] += 1;
                    non_null += 1;
                }
                code
            })
            .collect();
        Self {
            codes,
            values,
            counts,
            non_null,
        }
    }

    /// Normalised value of `row`, if any.
    #[must_use]
    pub fn get(&self, row: usize) -> Option<&str> {
        match self.codes[row] {
            NULL => None,
            c => Some(self.values[c as usize].as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, LargeStringArray, StringArray};
    use std::sync::Arc;

    #[test]
    fn encodes_distinct_normalised_values() {
        let raw = StringArray::from(vec![Some("Éa"), None, Some("ea"), Some("  "), Some("b")]);
        let arr = as_strings("x", &(Arc::new(raw) as ArrayRef)).unwrap();
        let col = CodedColumn::encode(&arr, |s| {
            crate::normalize::normalize(crate::normalize::Normalizer::Text, s)
        });
        assert_eq!(col.codes, vec![0, NULL, 0, NULL, 1]);
        assert_eq!(col.values, vec!["ea", "b"]);
        assert_eq!(col.counts, vec![2, 1]);
        assert_eq!(col.non_null, 3);
    }

    #[test]
    fn accepts_every_string_type_and_numbers() {
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "b"]));
        assert_eq!(as_strings("x", &large).unwrap().value(1), "b");
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![7, 8]));
        assert_eq!(as_strings("x", &ints).unwrap().value(0), "7");
        let nested: ArrayRef = Arc::new(arrow_array::ListArray::new_null(
            Arc::new(arrow_schema::Field::new("item", DataType::Int32, true)),
            2,
        ));
        let err = as_strings("tags", &nested).unwrap_err().to_string();
        assert!(err.contains("`tags`") && err.contains("List"), "{err}");
    }
}
