//! Term-frequency tables: counted from data once, handed back as Arrow, and given to later runs.

use crmdedup_core as engine;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors::BindError;
use crate::table::ArrowTable;
use crate::{interrupt, one_table, pool};

/// The term-frequency tables of `data` (and `right`, stacked after it, as a linkage run counts)
/// under the settings, in the schema of `TfTables::schema`.
#[pyfunction]
#[pyo3(signature = (data, settings_json, *, right=None, threads=None))]
pub fn tf_tables(
    py: Python<'_>,
    data: PyTable,
    settings_json: &str,
    right: Option<PyTable>,
    threads: Option<usize>,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let mut tables = vec![one_table(data)?];
    if let Some(r) = right {
        tables.push(one_table(r)?);
    }
    let out = interrupt::run(py, pool(threads)?, None, move |progress| {
        let refs: Vec<_> = tables.iter().collect();
        engine::TfTables::of_data(&refs, &settings, progress)?.to_batch()
    })?;
    Ok(ArrowTable::from_batch(out))
}
