//! The engine's kernels (blocking keys, scoring given pairs, candidate changes, pattern
//! histograms and the fit from them): settings and model parsed once per call, the work on the
//! pool of the thread count asked for.

use crmdedup_core as engine;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors::BindError;
use crate::table::ArrowTable;
use crate::{interrupt, one_table, pool};

fn ids_in(batch: &arrow_array::RecordBatch, id_column: &str) -> Result<engine::Ids, BindError> {
    let array = engine::column::column(batch, id_column)?.clone();
    Ok(engine::Ids::from_array(id_column, array)?)
}

/// One row per (record, rule) with a key: `<id>`, `rule`, `key`.
#[pyfunction]
#[pyo3(signature = (data, settings_json, *, id_column, threads=None))]
pub fn blocking_keys(
    py: Python<'_>,
    data: PyTable,
    settings_json: &str,
    id_column: &str,
    threads: Option<usize>,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let batch = one_table(data)?;
    let ids = ids_in(&batch, id_column)?;
    let out = interrupt::run(py, pool(threads)?, None, move |progress| {
        engine::kernels::blocking_keys(&batch, &ids, &settings, progress)
    })?;
    Ok(ArrowTable::from_batch(out))
}

/// The records pairs name: `data`, and `right_data` when linking (right ids name its records).
fn tables_in(
    data: PyTable,
    right_data: Option<PyTable>,
    id_column: &str,
) -> PyResult<Vec<(arrow_array::RecordBatch, engine::Ids)>> {
    let mut tables = Vec::with_capacity(2);
    for table in std::iter::once(data).chain(right_data) {
        let batch = one_table(table)?;
        let ids = ids_in(&batch, id_column)?;
        tables.push((batch, ids));
    }
    Ok(tables)
}

/// `tables` as the engine takes them.
fn borrowed(
    tables: &[(arrow_array::RecordBatch, engine::Ids)],
) -> Vec<(&arrow_array::RecordBatch, engine::Ids)> {
    tables.iter().map(|(b, ids)| (b, ids.clone())).collect()
}

/// Every given pair scored with the model, as a run's pairs output.
#[pyfunction]
#[pyo3(signature = (data, pairs, settings_json, model_json, *, id_column, left=None, right=None, tf_tables=None, threads=None, right_data=None))]
#[allow(clippy::too_many_arguments)]
pub fn score_pairs(
    py: Python<'_>,
    data: PyTable,
    pairs: PyTable,
    settings_json: &str,
    model_json: &str,
    id_column: &str,
    left: Option<&str>,
    right: Option<&str>,
    tf_tables: Option<PyTable>,
    threads: Option<usize>,
    right_data: Option<PyTable>,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let model = engine::Model::from_json(model_json).map_err(BindError::from)?;
    let tables = tables_in(data, right_data, id_column)?;
    let pairs = one_table(pairs)?;
    let tf = tf_tables.map(one_table).transpose()?;
    let left = left.map_or_else(|| format!("{id_column}_l"), str::to_owned);
    let right = right.map_or_else(|| format!("{id_column}_r"), str::to_owned);
    let out = interrupt::run(py, pool(threads)?, None, move |progress| {
        let tf = tf
            .map(|b| engine::TfTables::from_batch(&b, &settings))
            .transpose()?;
        engine::kernels::score_pairs(
            &borrowed(&tables),
            &pairs,
            (&left, &right),
            &settings,
            &model,
            tf.as_ref(),
            progress,
        )
    })?;
    Ok(ArrowTable::from_batch(out))
}

/// The candidate pairs that appear and disappear when records are inserted and removed.
#[pyfunction]
#[pyo3(signature = (keys, settings_json, *, id_column, status="status"))]
pub fn candidate_changes(
    py: Python<'_>,
    keys: PyTable,
    settings_json: &str,
    id_column: &str,
    status: &str,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let keys = one_table(keys)?;
    // Single-threaded and linear in the keys: no pool, no progress.
    let out = py
        .detach(|| engine::kernels::candidate_changes(&keys, id_column, status, &settings))
        .map_err(BindError::from)?;
    Ok(ArrowTable::from_batch(out))
}

/// The comparison patterns of the given pairs: `gamma_<c>`, `rule_mask`, `pairs`.
#[pyfunction]
#[pyo3(signature = (data, pairs, settings_json, *, id_column, left=None, right=None, threads=None, right_data=None))]
#[allow(clippy::too_many_arguments)]
pub fn pattern_histogram(
    py: Python<'_>,
    data: PyTable,
    pairs: PyTable,
    settings_json: &str,
    id_column: &str,
    left: Option<&str>,
    right: Option<&str>,
    threads: Option<usize>,
    right_data: Option<PyTable>,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let tables = tables_in(data, right_data, id_column)?;
    let pairs = one_table(pairs)?;
    let left = left.map_or_else(|| format!("{id_column}_l"), str::to_owned);
    let right = right.map_or_else(|| format!("{id_column}_r"), str::to_owned);
    let out = interrupt::run(py, pool(threads)?, None, move |progress| {
        engine::kernels::pattern_histogram(
            &borrowed(&tables),
            &pairs,
            (&left, &right),
            &settings,
            progress,
        )
    })?;
    Ok(ArrowTable::from_batch(out))
}

/// The random pairs of id ranks a run estimates u from: `rank_l`, `rank_r`.
#[pyfunction]
#[pyo3(signature = (n_records, settings_json, *, n_left=None))]
pub fn random_pairs(
    py: Python<'_>,
    n_records: usize,
    settings_json: &str,
    n_left: Option<usize>,
) -> PyResult<ArrowTable> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let out = py
        .detach(|| engine::kernels::random_pairs(n_records, n_left, &settings))
        .map_err(BindError::from)?;
    Ok(ArrowTable::from_batch(out))
}

/// The model (JSON) fitted from the candidate and random pattern histograms.
#[pyfunction]
#[pyo3(signature = (candidates, random, settings_json, *, n_records, n_left=None))]
pub fn fit_from_histograms(
    py: Python<'_>,
    candidates: PyTable,
    random: PyTable,
    settings_json: &str,
    n_records: usize,
    n_left: Option<usize>,
) -> PyResult<String> {
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let candidates = one_table(candidates)?;
    let random = one_table(random)?;
    let model = py
        .detach(|| {
            engine::kernels::fit_from_histograms(&candidates, &random, &settings, n_records, n_left)
        })
        .map_err(BindError::from)?;
    Ok(model.to_json())
}
