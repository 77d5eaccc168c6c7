//! Record ids: validated (no nulls, no duplicates), ranked once so that outputs never depend on
//! row order, and looked up by value (pairs and decisions name records by id).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, StringViewArray};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::column::as_strings;
use crate::error::{Error, Result};

/// The id column, ranked so that outputs never depend on row order.
#[derive(Debug, Clone)]
pub struct Ids {
    /// The ids as given (same type as the input), or a generated row index.
    pub array: ArrayRef,
    /// The column name used in outputs.
    pub name: String,
    /// `rank[row]`: position of the row's id in increasing id order.
    pub rank: Vec<u32>,
}

/// Id values of one of the kinds the engine ranks: signed or unsigned integers, or text.
enum Values {
    Signed(Vec<i64>),
    Unsigned(Vec<u64>),
    Text(StringViewArray),
}

impl Values {
    /// The values of `array`, or [`Error::WrongType`] when it holds neither integers nor text.
    fn of(name: &str, array: &ArrayRef) -> Result<Self> {
        let dt = array.data_type();
        if dt.is_signed_integer() {
            let cast = arrow_cast::cast(array, &DataType::Int64)?;
            Ok(Self::Signed(
                cast.as_primitive::<Int64Type>().values().to_vec(),
            ))
        } else if dt.is_unsigned_integer() {
            let cast = arrow_cast::cast(array, &DataType::UInt64)?;
            Ok(Self::Unsigned(
                cast.as_primitive::<UInt64Type>().values().to_vec(),
            ))
        } else if matches!(
            dt,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            Ok(Self::Text(as_strings(name, array)?))
        } else {
            Err(Error::WrongType {
                column: name.to_owned(),
                found: dt.to_string(),
                expected: "string or integer ids".to_owned(),
            })
        }
    }

    /// The Arrow type values of another column are cast to before they are looked up.
    fn lookup_type(&self) -> DataType {
        match self {
            Self::Signed(_) => DataType::Int64,
            Self::Unsigned(_) => DataType::UInt64,
            Self::Text(_) => DataType::Utf8View,
        }
    }

    fn cmp(&self, a: usize, b: usize) -> Ordering {
        match self {
            Self::Signed(v) => v[a].cmp(&v[b]),
            Self::Unsigned(v) => v[a].cmp(&v[b]),
            Self::Text(s) => s.value(a).cmp(s.value(b)),
        }
    }

    fn describe(&self, i: usize) -> String {
        match self {
            Self::Signed(v) => v[i].to_string(),
            Self::Unsigned(v) => v[i].to_string(),
            Self::Text(s) => s.value(i).to_owned(),
        }
    }

    /// Rows `0..n` in increasing value order (ties by row).
    fn order(&self, n: usize) -> Vec<u32> {
        fn by<F: Fn(usize, usize) -> Ordering + Sync>(n: usize, cmp: F) -> Vec<u32> {
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.par_sort_unstable_by(|&a, &b| cmp(a as usize, b as usize).then(a.cmp(&b)));
            order
        }
        match self {
            Self::Signed(v) => by(n, |a, b| v[a].cmp(&v[b])),
            Self::Unsigned(v) => by(n, |a, b| v[a].cmp(&v[b])),
            Self::Text(s) => by(n, |a, b| s.value(a).cmp(s.value(b))),
        }
    }
}

impl Ids {
    /// Row indices `0..n` as a `UInt64` column named `name`.
    #[must_use]
    pub fn row_index(name: &str, n: usize) -> Self {
        let array: ArrayRef = Arc::new(arrow_array::UInt64Array::from_iter_values(0..n as u64));
        Self {
            array,
            name: name.to_owned(),
            rank: (0..n as u32).collect(),
        }
    }

    /// Validate and rank an id column: no nulls, no duplicates, strings or integers.
    ///
    /// # Errors
    /// [`Error::NullId`], [`Error::DuplicateId`] (naming both rows) or [`Error::WrongType`].
    pub fn from_array(name: &str, array: ArrayRef) -> Result<Self> {
        if let Some(row) = (0..array.len()).find(|&i| array.is_null(i)) {
            return Err(Error::NullId {
                column: name.to_owned(),
                row: row + 1,
            });
        }
        let values = Values::of(name, &array)?;
        let order = values.order(array.len());
        if let Some(w) = order
            .windows(2)
            .find(|w| values.cmp(w[0] as usize, w[1] as usize) == Ordering::Equal)
        {
            return Err(Error::DuplicateId {
                column: name.to_owned(),
                value: values.describe(w[0] as usize),
                first: w[0].min(w[1]) as usize + 1,
                second: w[0].max(w[1]) as usize + 1,
            });
        }
        let mut rank = vec![0u32; order.len()];
        for (r, &row) in order.iter().enumerate() {
            rank[row as usize] = r as u32;
        }
        Ok(Self {
            array,
            name: name.to_owned(),
            rank,
        })
    }

    /// Group the rows of an id column that may repeat ids (a table with several rows per
    /// record): each row's record, records numbered in increasing id order, and the first row
    /// of each record.
    ///
    /// # Errors
    /// [`Error::NullId`] or [`Error::WrongType`].
    pub fn records_of(name: &str, array: &ArrayRef) -> Result<(Vec<u32>, Vec<u32>)> {
        if let Some(row) = (0..array.len()).find(|&i| array.is_null(i)) {
            return Err(Error::NullId {
                column: name.to_owned(),
                row: row + 1,
            });
        }
        let values = Values::of(name, array)?;
        let order = values.order(array.len());
        let mut record = vec![0u32; order.len()];
        let mut first: Vec<u32> = Vec::new();
        for (i, &row) in order.iter().enumerate() {
            if i == 0 || values.cmp(order[i - 1] as usize, row as usize) != Ordering::Equal {
                first.push(row);
            }
            record[row as usize] = (first.len() - 1) as u32;
        }
        Ok((record, first))
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rank.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rank.is_empty()
    }

    /// `by_rank[r]`: the row of rank `r`.
    #[must_use]
    pub fn by_rank(&self) -> Vec<u32> {
        let mut by_rank = vec![0u32; self.len()];
        for (row, &r) in self.rank.iter().enumerate() {
            by_rank[r as usize] = row as u32;
        }
        by_rank
    }
}

/// Finds the row of an id value: a binary search over the ids in rank order.
pub struct IdIndex {
    values: Values,
    by_rank: Vec<u32>,
}

impl IdIndex {
    /// Index `ids`.
    ///
    /// # Errors
    /// Arrow errors only (the ids were validated when ranked).
    pub fn new(ids: &Ids) -> Result<Self> {
        Ok(Self {
            values: Values::of(&ids.name, &ids.array)?,
            by_rank: ids.by_rank(),
        })
    }

    /// The row of each value of `array` (named `column` in errors): `None` for a null, a value
    /// that is no id, or one that does not convert to the ids' type (`"x"` for integer ids).
    ///
    /// # Errors
    /// [`Error::WrongType`] when `array` cannot hold ids at all (lists, structs…).
    pub fn rows_of(&self, column: &str, array: &ArrayRef) -> Result<Vec<Option<u32>>> {
        let target = self.values.lookup_type();
        // Lists and structs cast to text, but never hold ids.
        if array.data_type().is_nested() || !arrow_cast::can_cast_types(array.data_type(), &target)
        {
            return Err(Error::WrongType {
                column: column.to_owned(),
                found: array.data_type().to_string(),
                expected: "string or integer ids".to_owned(),
            });
        }
        // A safe cast: values that do not convert become nulls, that is unknown ids.
        let cast = arrow_cast::cast(array, &target)?;
        let rows = match &self.values {
            Values::Signed(v) => {
                let c = cast.as_primitive::<Int64Type>();
                self.rows_by(
                    c.len(),
                    |i| c.is_valid(i).then(|| c.value(i)),
                    |r, x| v[r].cmp(x),
                )
            }
            Values::Unsigned(v) => {
                let c = cast.as_primitive::<UInt64Type>();
                self.rows_by(
                    c.len(),
                    |i| c.is_valid(i).then(|| c.value(i)),
                    |r, x| v[r].cmp(x),
                )
            }
            Values::Text(s) => {
                let c = cast.as_string_view();
                self.rows_by(
                    c.len(),
                    |i| c.is_valid(i).then(|| c.value(i)),
                    |r, x| s.value(r).cmp(x),
                )
            }
        };
        Ok(rows)
    }

    /// The row of each of `n` probes (`probe(i)`, `None` for none), found by binary search
    /// with `cmp(row, probe)`.
    fn rows_by<T>(
        &self,
        n: usize,
        probe: impl Fn(usize) -> Option<T>,
        cmp: impl Fn(usize, &T) -> Ordering,
    ) -> Vec<Option<u32>> {
        (0..n)
            .map(|i| {
                let x = probe(i)?;
                let at = self.by_rank.binary_search_by(|&row| cmp(row as usize, &x));
                at.ok().map(|r| self.by_rank[r])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, StringArray};

    #[test]
    fn ids_are_ranked_and_checked() {
        let ids = Ids::from_array("id", Arc::new(StringArray::from(vec!["b", "a", "c"]))).unwrap();
        assert_eq!(ids.rank, vec![1, 0, 2]);
        let e = Ids::from_array("id", Arc::new(Int32Array::from(vec![3, 1, 3]))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "duplicate id \"3\" in column `id` at rows 1 and 3 (counting from 1)"
        );
        let e =
            Ids::from_array("id", Arc::new(StringArray::from(vec![Some("a"), None]))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "null id in column `id` at row 2 (counting from 1)"
        );
    }

    #[test]
    fn ids_are_found_by_value_whatever_the_type_given() {
        let ids = Ids::from_array("id", Arc::new(Int32Array::from(vec![30, 10, 20]))).unwrap();
        let index = IdIndex::new(&ids).unwrap();
        let probe: ArrayRef = Arc::new(StringArray::from(vec![
            Some("20"),
            Some("x"),
            None,
            Some("30"),
            Some("40"),
        ]));
        assert_eq!(
            index.rows_of("id_l", &probe).unwrap(),
            vec![Some(2), None, None, Some(0), None]
        );
        let text = Ids::from_array("id", Arc::new(StringArray::from(vec!["b", "a"]))).unwrap();
        let index = IdIndex::new(&text).unwrap();
        let probe: ArrayRef = Arc::new(arrow_array::LargeStringArray::from(vec!["a", "c", "b"]));
        assert_eq!(
            index.rows_of("id_r", &probe).unwrap(),
            vec![Some(1), None, Some(0)]
        );
    }
}
