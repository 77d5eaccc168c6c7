//! Arrow tables handed back to Python through the Arrow C stream interface.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int8Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, SchemaRef};
use crmdedup_core::ExplainRow;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use pyo3_arrow::PyTable;

/// An Arrow table any Arrow consumer reads without copying (`pl.DataFrame(t)`, `pa.table(t)`).
#[pyclass(name = "ArrowTable", module = "crmdedup._core", frozen)]
pub struct ArrowTable {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl ArrowTable {
    /// Wrap one batch.
    pub fn from_batch(batch: RecordBatch) -> Self {
        Self {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }
}

#[pymethods]
impl ArrowTable {
    /// Export as an Arrow C stream (the Arrow `PyCapsule` interface).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = PyTable::try_new(self.batches.clone(), self.schema.clone())?;
        let bound = Bound::new(py, table)?;
        let capsule = bound.call_method1("__arrow_c_stream__", (requested_schema,))?;
        Ok(capsule)
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }
}

/// The rows of an explanation as a batch.
pub fn explain_batch(rows: &[ExplainRow]) -> Result<RecordBatch, ArrowError> {
    let strings = |f: &dyn Fn(&ExplainRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let floats = |f: &dyn Fn(&ExplainRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(f)))
    };
    RecordBatch::try_from_iter(vec![
        ("comparison", strings(&|r| Some(r.comparison.clone()))),
        ("value_l", strings(&|r| r.value_l.clone())),
        ("value_r", strings(&|r| r.value_r.clone())),
        (
            "level",
            Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.level))) as ArrayRef,
        ),
        ("level_label", strings(&|r| Some(r.level_label.clone()))),
        ("weight", floats(&|r| r.weight)),
        ("tf_adjustment", floats(&|r| r.tf_adjustment)),
        ("cumulative_weight", floats(&|r| r.cumulative_weight)),
        ("probability", floats(&|r| r.probability)),
    ])
}
