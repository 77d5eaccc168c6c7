//! Python bindings of crmdedup: Arrow in through the `PyCapsule` interface, Arrow out as a small
//! table class polars reads with `pl.DataFrame(obj)`, errors mapped to `crmdedup.errors`, and the
//! GIL released around all heavy work.

mod cluster;
mod errors;
mod interrupt;
mod kernels;
mod table;
mod tf;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow_array::RecordBatch;
use crmdedup_core as engine;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use pyo3_arrow::input::AnyArray;

use crate::errors::BindError;
use crate::table::{ArrowArray, ArrowTable};

/// One batch holding all rows of `table`.
pub(crate) fn one_table(table: PyTable) -> Result<RecordBatch, BindError> {
    let (batches, schema) = table.into_inner();
    Ok(engine::column::concat_table(&batches, &schema)?)
}

fn ids_of(batch: &RecordBatch, id_column: Option<&str>) -> Result<engine::Ids, BindError> {
    Ok(match id_column {
        None => engine::Ids::row_index("row_id", batch.num_rows()),
        Some(name) => {
            let array = engine::column::column(batch, name)?.clone();
            engine::Ids::from_array(name, array)?
        }
    })
}

/// Steward decisions from optional tables with columns `id_l` and `id_r`.
pub(crate) fn decisions_of(
    must_link: Option<PyTable>,
    cannot_link: Option<PyTable>,
) -> Result<engine::Decisions, BindError> {
    let pairs = |table: Option<PyTable>| -> Result<Option<engine::IdPairs>, BindError> {
        table
            .map(|t| Ok(engine::IdPairs::from_batch(&one_table(t)?)?))
            .transpose()
    };
    Ok(engine::Decisions {
        must_link: pairs(must_link)?,
        cannot_link: pairs(cannot_link)?,
    })
}

/// The result of one run, kept on the Rust side so pairs can be explained afterwards.
#[pyclass(name = "Run", module = "crmdedup._core", frozen)]
struct PyRun {
    output: engine::RunOutput,
}

#[pymethods]
impl PyRun {
    /// One row per record: id, `cluster_id`, `cluster_size`.
    #[getter]
    fn clusters(&self) -> ArrowTable {
        ArrowTable::from_batch(self.output.clusters.clone())
    }

    /// One row per pair at or above the threshold.
    #[getter]
    fn pairs(&self) -> ArrowTable {
        ArrowTable::from_batch(self.output.pairs.clone())
    }

    /// The model used, as JSON.
    #[getter]
    fn model_json(&self) -> String {
        self.output.session.model.to_json()
    }

    /// What the run did, as JSON.
    #[getter]
    fn report_json(&self) -> String {
        serde_json::to_string(&self.output.report).unwrap_or_default()
    }

    /// Per-comparison explanation of rows `a` and `b` (indices over all rows, left first).
    fn explain(&self, py: Python<'_>, a: usize, b: usize) -> PyResult<ArrowTable> {
        let rows = py
            .detach(|| self.output.session.explain(a, b))
            .map_err(BindError::from)?;
        Ok(ArrowTable::from_batch(
            table::explain_batch(&rows).map_err(BindError::from)?,
        ))
    }
}

/// The thread pool of `threads` threads (all cores when `None`), built once per process and
/// thread count: a caller making many small calls (a Spark task per partition) pays for it once.
pub(crate) fn pool(threads: Option<usize>) -> Result<Arc<rayon::ThreadPool>, BindError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let key = threads.unwrap_or(0);
    let mut pools = POOLS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = pools.get(&key) {
        return Ok(Arc::clone(p));
    }
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(key)
        .thread_name(|i| format!("crmdedup-{i}"))
        .build()
        .map_err(|e| BindError::Core(engine::Error::settings("threads", e.to_string())))?;
    let built = Arc::new(built);
    pools.insert(key, Arc::clone(&built));
    Ok(built)
}

/// What a run reads besides its tables.
struct RunArgs<'a, 'py> {
    settings_json: &'a str,
    model_json: Option<&'a str>,
    decisions: engine::Decisions,
    /// Term-frequency tables in the schema of `engine::TfTables::schema`.
    tf_tables: Option<RecordBatch>,
    threads: Option<usize>,
    progress: Option<&'a Bound<'py, PyAny>>,
}

fn run_tables(
    py: Python<'_>,
    tables: Vec<(RecordBatch, engine::Ids)>,
    args: RunArgs<'_, '_>,
) -> PyResult<PyRun> {
    let RunArgs {
        settings_json,
        model_json,
        decisions,
        tf_tables,
        threads,
        progress,
    } = args;
    let settings = engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    let model = model_json
        .map(engine::Model::from_json)
        .transpose()
        .map_err(BindError::from)?;
    let output = interrupt::run(py, pool(threads)?, progress, move |progress| {
        let tf = tf_tables
            .map(|b| engine::TfTables::from_batch(&b, &settings))
            .transpose()?;
        let refs: Vec<(&RecordBatch, engine::Ids)> =
            tables.iter().map(|(b, ids)| (b, ids.clone())).collect();
        engine::run(&refs, &settings, model, tf.as_ref(), &decisions, progress)
    })?;
    Ok(PyRun { output })
}

/// Deduplicate one table, honouring must-link and cannot-link decisions (`id_l`, `id_r`).
#[pyfunction]
#[pyo3(signature = (data, settings_json, *, id_column=None, model_json=None, threads=None, progress=None, must_link=None, cannot_link=None, tf_tables=None))]
#[allow(clippy::too_many_arguments)]
fn dedupe(
    py: Python<'_>,
    data: PyTable,
    settings_json: &str,
    id_column: Option<&str>,
    model_json: Option<&str>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    must_link: Option<PyTable>,
    cannot_link: Option<PyTable>,
    tf_tables: Option<PyTable>,
) -> PyResult<PyRun> {
    let batch = one_table(data)?;
    let ids = ids_of(&batch, id_column)?;
    let args = RunArgs {
        settings_json,
        model_json,
        decisions: decisions_of(must_link, cannot_link)?,
        tf_tables: tf_tables.map(one_table).transpose()?,
        threads,
        progress,
    };
    run_tables(py, vec![(batch, ids)], args)
}

/// Link two tables: pairs across them only. A decision's `id_l` names a left record and its
/// `id_r` a right one.
#[pyfunction]
#[pyo3(signature = (left, right, settings_json, *, id_column=None, model_json=None, threads=None, progress=None, must_link=None, cannot_link=None, tf_tables=None))]
#[allow(clippy::too_many_arguments)]
fn link(
    py: Python<'_>,
    left: PyTable,
    right: PyTable,
    settings_json: &str,
    id_column: Option<&str>,
    model_json: Option<&str>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    must_link: Option<PyTable>,
    cannot_link: Option<PyTable>,
    tf_tables: Option<PyTable>,
) -> PyResult<PyRun> {
    let (l, r) = (one_table(left)?, one_table(right)?);
    let (il, ir) = (ids_of(&l, id_column)?, ids_of(&r, id_column)?);
    let args = RunArgs {
        settings_json,
        model_json,
        decisions: decisions_of(must_link, cannot_link)?,
        tf_tables: tf_tables.map(one_table).transpose()?,
        threads,
        progress,
    };
    run_tables(py, vec![(l, il), (r, ir)], args)
}

type Specs = Vec<(String, engine::normalize::Normalizer)>;

/// Run one of the engine's inspection functions over `data` on its own pool, interruptible.
#[allow(clippy::too_many_arguments)]
fn inspect<T: Send + 'static>(
    py: Python<'_>,
    data: PyTable,
    columns_json: &str,
    default_region: &str,
    region_column: Option<&str>,
    email_provider_rules: bool,
    threads: Option<usize>,
    f: impl Fn(
        &RecordBatch,
        &Specs,
        &engine::normalize::NormalizeOptions,
        Option<&str>,
    ) -> engine::Result<T>
    + Send
    + 'static,
) -> PyResult<T> {
    let batch = one_table(data)?;
    let specs: Specs = serde_json::from_str(columns_json)
        .map_err(|e| BindError::from(engine::Error::settings("columns", e.to_string())))?;
    let opts = engine::normalize::NormalizeOptions {
        default_region: default_region.to_owned(),
        email_provider_rules,
    };
    let region_column = region_column.map(str::to_owned);
    interrupt::run(py, pool(threads)?, None, move |_| {
        f(&batch, &specs, &opts, region_column.as_deref())
    })
}

/// The table with `<column>_<suffix>` normalised and derived columns added.
#[pyfunction]
#[pyo3(signature = (data, columns_json, *, default_region="FR", region_column=None, email_provider_rules=false, threads=None))]
fn normalize_columns(
    py: Python<'_>,
    data: PyTable,
    columns_json: &str,
    default_region: &str,
    region_column: Option<&str>,
    email_provider_rules: bool,
    threads: Option<usize>,
) -> PyResult<ArrowTable> {
    let out = inspect(
        py,
        data,
        columns_json,
        default_region,
        region_column,
        email_provider_rules,
        threads,
        |b, s, o, r| engine::inspect::normalize_table_in_regions(b, s, o, r),
    )?;
    Ok(ArrowTable::from_batch(out))
}

/// Per-column profiles as JSON.
#[pyfunction]
#[pyo3(signature = (data, columns_json, *, default_region="FR", region_column=None, email_provider_rules=false, threads=None))]
fn profile_columns(
    py: Python<'_>,
    data: PyTable,
    columns_json: &str,
    default_region: &str,
    region_column: Option<&str>,
    email_provider_rules: bool,
    threads: Option<usize>,
) -> PyResult<String> {
    let out = inspect(
        py,
        data,
        columns_json,
        default_region,
        region_column,
        email_provider_rules,
        threads,
        |b, s, o, r| engine::inspect::profile_table_in_regions(b, s, o, r),
    )?;
    Ok(serde_json::to_string(&out).unwrap_or_default())
}

/// One string array out of any Arrow array or stream of arrays.
fn one_array(name: &str, values: AnyArray) -> Result<arrow_array::StringViewArray, BindError> {
    let (chunks, _) = values
        .into_chunked_array()
        .map_err(PyErr::from)?
        .into_inner();
    let refs: Vec<&dyn arrow_array::Array> = chunks.iter().map(AsRef::as_ref).collect();
    let array: arrow_array::ArrayRef = match refs.as_slice() {
        [_] => chunks[0].clone(),
        [] => std::sync::Arc::new(arrow_array::StringViewArray::from(Vec::<&str>::new())),
        _ => arrow_select::concat::concat(&refs)?,
    };
    Ok(engine::column::as_strings(name, &array)?)
}

/// Contact points in the canonical form consent and opposition matching share with the matcher.
#[pyfunction]
#[pyo3(signature = (values, kind, *, default_region="FR", regions=None, email_provider_rules=false))]
fn canonical_contact_points(
    py: Python<'_>,
    values: AnyArray,
    kind: &str,
    default_region: &str,
    regions: Option<AnyArray>,
    email_provider_rules: bool,
) -> PyResult<ArrowArray> {
    let kind: engine::normalize::ContactKind =
        serde_json::from_value(kind.into()).map_err(|_| {
            BindError::from(engine::Error::settings(
                "kind",
                format!("{kind:?} is not a contact point kind (email, phone, postal or other)"),
            ))
        })?;
    if !engine::normalize::is_phone_region(default_region) {
        return Err(BindError::from(engine::Error::settings(
            "default_region",
            format!("{default_region:?} is not an upper-case ISO 3166 region code the phone metadata knows, such as \"FR\""),
        ))
        .into());
    }
    let values = one_array("values", values)?;
    let regions = regions.map(|r| one_array("regions", r)).transpose()?;
    let opts = engine::normalize::NormalizeOptions {
        default_region: default_region.to_owned(),
        email_provider_rules,
    };
    // One pass over the distinct values: short enough not to need the interruptible runner.
    let out = py
        .detach(|| {
            engine::normalize::canonical_contact_points(kind, &values, regions.as_ref(), &opts)
        })
        .map_err(BindError::from)?;
    Ok(ArrowArray::new("canonical", std::sync::Arc::new(out)))
}

/// Check settings JSON without running anything.
#[pyfunction]
fn validate_settings(settings_json: &str) -> PyResult<()> {
    engine::Settings::from_json(settings_json).map_err(BindError::from)?;
    Ok(())
}

/// Check a model JSON on its own (its parameters are probabilities), then against settings JSON.
#[pyfunction]
#[pyo3(signature = (model_json, settings_json=None))]
fn validate_model(model_json: &str, settings_json: Option<&str>) -> PyResult<()> {
    let model = engine::Model::from_json(model_json).map_err(errors::invalid_model)?;
    if let Some(json) = settings_json {
        let settings = engine::Settings::from_json(json).map_err(BindError::from)?;
        model.check_fits(&settings).map_err(BindError::from)?;
    }
    Ok(())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRun>()?;
    m.add_class::<ArrowTable>()?;
    m.add_class::<ArrowArray>()?;
    m.add_function(wrap_pyfunction!(dedupe, m)?)?;
    m.add_function(wrap_pyfunction!(link, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster, m)?)?;
    m.add_function(wrap_pyfunction!(tf::tf_tables, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::blocking_keys, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::score_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::candidate_changes, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::pattern_histogram, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::random_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::fit_from_histograms, m)?)?;
    m.add_function(wrap_pyfunction!(validate_settings, m)?)?;
    m.add_function(wrap_pyfunction!(validate_model, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_columns, m)?)?;
    m.add_function(wrap_pyfunction!(profile_columns, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_contact_points, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("REVISION", engine::REVISION)?;
    Ok(())
}
