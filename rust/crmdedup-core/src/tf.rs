//! Term-frequency tables as data: per comparison with `term_frequency` on, how many records hold
//! each normalised value, and how many hold any. A run given tables scores with their counts
//! instead of its own data's, so an incremental base or a partitioned (Spark) run reproduces a
//! batch run; tables of partitions merge by summing counts.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StringViewArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rustc_hash::FxHashMap;

use crate::column;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::progress::Progress;
use crate::settings::Settings;

/// The value counts of one comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfTable {
    /// Name of the comparison (`term_frequency` on).
    pub comparison: String,
    /// Records with a usable (non-null) normalised value.
    pub total: u64,
    /// Normalised values and the records holding each, in any order: the weights do not
    /// depend on it.
    pub values: Vec<(String, u64)>,
}

/// Term-frequency tables of every comparison with `term_frequency` on, in settings order.
///
/// As Arrow (see [`TfTables::schema`]): one row per (comparison, value) with its `count`, and
/// per comparison one row with a null `value` whose `count` is the comparison's non-null
/// record count. Summing `count` by (`comparison`, `value`), nulls grouped together, merges the
/// tables of disjoint partitions into those of their union.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TfTables {
    /// One table per comparison.
    pub tables: Vec<TfTable>,
}

/// The tables of `dataset`: its own counts, which a run without tables uses.
#[must_use]
pub fn tf_tables(dataset: &Dataset, settings: &Settings) -> TfTables {
    let tables = settings
        .comparisons
        .iter()
        .filter(|c| c.term_frequency)
        .map(|c| {
            let col = dataset.column(&c.column, c.normalizer);
            TfTable {
                comparison: c.name.clone(),
                total: col.non_null as u64,
                values: col
                    .values
                    .iter()
                    .cloned()
                    .zip(col.counts.iter().map(|&k| u64::from(k)))
                    .collect(),
            }
        })
        .collect();
    TfTables { tables }
}

/// Why `name` cannot have a table under `settings`, if it cannot.
fn unfit(settings: &Settings, name: &str) -> Option<String> {
    match settings.comparisons.iter().find(|c| c.name == name) {
        None => Some(format!(
            "comparison `{name}` is not in the settings (comparisons: {})",
            settings
                .comparisons
                .iter()
                .map(|c| format!("`{}`", c.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(c) if !c.term_frequency => Some(format!(
            "comparison `{name}` has term_frequency off\nhint: turn it on in the settings or \
             drop its rows"
        )),
        Some(_) => None,
    }
}

fn unfit_error(row: Option<usize>, message: String) -> Error {
    Error::TfTable { row, message }
}

impl TfTables {
    /// Normalise the tables (one, or two for linkage, counted stacked as a run does) and count
    /// the values of every comparison with `term_frequency` on.
    ///
    /// # Errors
    /// Invalid settings, missing or mistyped columns, cancellation.
    pub fn of_data(
        tables: &[&RecordBatch],
        settings: &Settings,
        progress: &dyn Progress,
    ) -> Result<Self> {
        settings.validate()?;
        // Only the compared columns are counted: the blocking keys need not be normalised.
        let mut compared = settings.clone();
        compared.blocking_rules.clear();
        let with_ids: Vec<(&RecordBatch, Ids)> = tables
            .iter()
            .map(|b| (*b, Ids::row_index("row_id", b.num_rows())))
            .collect();
        let dataset = Dataset::prepare(&with_ids, &compared, progress)?;
        Ok(tf_tables(&dataset, settings))
    }

    /// The table of comparison `name`, if any.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&TfTable> {
        self.tables.iter().find(|t| t.comparison == name)
    }

    /// Check the tables fit `settings`: one per comparison with `term_frequency` on, none for
    /// another, and no value counted more often than the total.
    ///
    /// # Errors
    /// [`Error::TfTable`] naming the comparison.
    pub fn check_fits(&self, settings: &Settings) -> Result<()> {
        for t in &self.tables {
            if let Some(message) = unfit(settings, &t.comparison) {
                return Err(unfit_error(None, message));
            }
            let sum: u64 = t.values.iter().map(|(_, k)| k).sum();
            if sum > t.total {
                return Err(unfit_error(
                    None,
                    format!(
                        "comparison `{}`: the total (the row with a null value) is {}, less than \
                         the sum of the value counts, {sum}",
                        t.comparison, t.total
                    ),
                ));
            }
        }
        let missing = settings
            .comparisons
            .iter()
            .find(|c| c.term_frequency && self.get(&c.name).is_none());
        match missing {
            Some(c) => Err(unfit_error(
                None,
                format!(
                    "comparison `{}` has term_frequency on but no table\nhint: compute the tables \
                     with the same settings (`tf_tables`)",
                    c.name
                ),
            )),
            None => Ok(()),
        }
    }

    /// The Arrow schema of the tables: `comparison: Utf8View`, `value: Utf8View` (null on the
    /// row holding the non-null total), `count: UInt64`.
    #[must_use]
    pub fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("comparison", DataType::Utf8View, false),
            Field::new("value", DataType::Utf8View, true),
            Field::new("count", DataType::UInt64, false),
        ]))
    }

    /// The tables as one batch of [`TfTables::schema`]: per comparison, its total row, then its
    /// values in order.
    ///
    /// # Errors
    /// Arrow errors (none expected).
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let rows = self.tables.iter().flat_map(|t| {
            std::iter::once((t.comparison.as_str(), None, t.total)).chain(
                t.values
                    .iter()
                    .map(|(v, k)| (t.comparison.as_str(), Some(v.as_str()), *k)),
            )
        });
        let (mut names, mut values, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value, count) in rows {
            names.push(name);
            values.push(value);
            counts.push(count);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringViewArray::from(names)),
            Arc::new(StringViewArray::from(values)),
            Arc::new(UInt64Array::from(counts)),
        ];
        Ok(RecordBatch::try_new(Self::schema(), columns)?)
    }

    /// Read tables from a batch of [`TfTables::schema`] (any string type; counts of any integer
    /// type) and check them against `settings`.
    ///
    /// # Errors
    /// [`Error::MissingColumn`], [`Error::WrongType`], and [`Error::TfTable`] naming the
    /// comparison and the row (counting from 1): a comparison not in the settings or with
    /// `term_frequency` off, a null or negative count, a value or total given twice, a
    /// comparison without its total row, or a missing comparison.
    pub fn from_batch(batch: &RecordBatch, settings: &Settings) -> Result<Self> {
        let names = column::as_strings("comparison", column::column(batch, "comparison")?)?;
        let values = column::as_strings("value", column::column(batch, "value")?)?;
        let counts = counts(column::column(batch, "count")?)?;
        let mut builder = Builder::default();
        for (row, count) in counts.iter().enumerate() {
            let at = |message: String| unfit_error(Some(row + 1), message);
            if names.is_null(row) {
                return Err(at("comparison is null".to_owned()));
            }
            let name = names.value(row);
            if let Some(message) = unfit(settings, name) {
                return Err(at(message));
            }
            let count = match *count {
                None => return Err(at(format!("comparison `{name}`: count is null"))),
                Some(k) => u64::try_from(k)
                    .map_err(|_| at(format!("comparison `{name}`: count {k} is negative")))?,
            };
            let value = values.is_valid(row).then(|| values.value(row));
            builder.add(name, value, count, row + 1).map_err(at)?;
        }
        let tables = builder.finish()?;
        tables.check_fits(settings)?;
        Ok(tables)
    }
}

/// The `count` column as signed integers (nulls kept), whatever its integer type.
fn counts(array: &ArrayRef) -> Result<Vec<Option<i128>>> {
    let dt = array.data_type();
    if *dt == DataType::UInt64 {
        let a = array.as_primitive::<UInt64Type>();
        return Ok(a.iter().map(|k| k.map(i128::from)).collect());
    }
    if !dt.is_integer() && *dt != DataType::Null {
        return Err(Error::WrongType {
            column: "count".to_owned(),
            found: dt.to_string(),
            expected: "integers".to_owned(),
        });
    }
    let cast = arrow_cast::cast(array, &DataType::Int64)?;
    Ok(cast
        .as_primitive::<Int64Type>()
        .iter()
        .map(|k| k.map(i128::from))
        .collect())
}

/// Tables in the making, rows grouped by comparison in order of first appearance. Values are
/// borrowed from the Arrow arrays being read until the tables are finished: a base's tables
/// hold a row per landline or company of every record, and are read at every match.
#[derive(Default)]
struct Builder<'a> {
    tables: Vec<(&'a str, Vec<(&'a str, u64)>)>,
    /// The total of each table, once its row is read.
    totals: Vec<Option<u64>>,
    index: FxHashMap<&'a str, usize>,
    /// Row (from 1) of each (table, value) seen; `None` stands for the total row.
    seen: FxHashMap<(usize, Option<&'a str>), usize>,
}

impl<'a> Builder<'a> {
    fn add(
        &mut self,
        name: &'a str,
        value: Option<&'a str>,
        count: u64,
        row: usize,
    ) -> Result<(), String> {
        let t = *self.index.entry(name).or_insert_with(|| {
            self.tables.push((name, Vec::new()));
            self.totals.push(None);
            self.tables.len() - 1
        });
        if let Some(first) = self.seen.insert((t, value), row) {
            let what = value.map_or_else(
                || "the total (null value)".to_owned(),
                |v| format!("value {v:?}"),
            );
            return Err(format!(
                "comparison `{name}`: {what} is also at row {first}\nhint: sum the counts by \
                 comparison and value before passing the tables"
            ));
        }
        match value {
            None => self.totals[t] = Some(count),
            Some(v) => self.tables[t].1.push((v, count)),
        }
        Ok(())
    }

    fn finish(self) -> Result<TfTables> {
        let tables = self
            .tables
            .into_iter()
            .zip(self.totals)
            .map(|((comparison, values), total)| match total {
                Some(total) => Ok(TfTable {
                    comparison: comparison.to_owned(),
                    total,
                    values: values.into_iter().map(|(v, k)| (v.to_owned(), k)).collect(),
                }),
                None => Err(unfit_error(
                    None,
                    format!(
                        "comparison `{comparison}` has no total row\nhint: add a row with a null \
                         value whose count is the number of records with a value"
                    ),
                )),
            })
            .collect::<Result<_>>()?;
        Ok(TfTables { tables })
    }
}

#[cfg(test)]
mod tests;
