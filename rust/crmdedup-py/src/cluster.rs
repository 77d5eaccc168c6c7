//! The clustering kernel: record ids, scored pairs and steward decisions in, one row per record
//! with its cluster out.

use crmdedup_core as engine;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors::BindError;
use crate::table::ArrowTable;
use crate::{decisions_of, interrupt, one_table, pool};

/// A clustering method from its name in the settings (`guarded`, `connected_components`).
fn method_of(name: &str) -> Result<engine::ClusterMethod, BindError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        BindError::Core(engine::Error::settings(
            "method",
            format!(
                "`{name}` is not a clustering method (expected guarded or connected_components)"
            ),
        ))
    })
}

/// Cluster the records of `ids` (column `id_column`) from scored `pairs` and decisions. The
/// default `guard` is `guard_probability`'s in `crmdedup.settings`.
#[pyfunction]
#[pyo3(signature = (ids, pairs, *, id_column, left=None, right=None, probability="match_probability", method="guarded", guard=0.999, must_link=None, cannot_link=None, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn cluster(
    py: Python<'_>,
    ids: PyTable,
    pairs: PyTable,
    id_column: &str,
    left: Option<&str>,
    right: Option<&str>,
    probability: &str,
    method: &str,
    guard: f64,
    must_link: Option<PyTable>,
    cannot_link: Option<PyTable>,
    threads: Option<usize>,
) -> PyResult<ArrowTable> {
    let records = one_table(ids)?;
    let array = engine::column::column(&records, id_column)
        .map_err(BindError::from)?
        .clone();
    let pairs = one_table(pairs)?;
    let decisions = decisions_of(must_link, cannot_link)?;
    let method = method_of(method)?;
    let name = id_column.to_owned();
    let left = left.map_or_else(|| format!("{id_column}_l"), str::to_owned);
    let right = right.map_or_else(|| format!("{id_column}_r"), str::to_owned);
    let probability = probability.to_owned();
    let out = interrupt::run(py, pool(threads)?, None, move |_| {
        let ids = engine::Ids::from_array(&name, array)?;
        let columns = engine::PairColumns {
            left: &left,
            right: &right,
            probability: &probability,
        };
        engine::cluster_pairs(&ids, &pairs, &columns, &decisions, method, guard)
    })?;
    Ok(ArrowTable::from_batch(out))
}
