//! The prepared data of a run: every column the settings read, normalised once and
//! dictionary-encoded, for one table (deduplication) or two stacked (linkage, left rows first).

use arrow_array::{Array, RecordBatch, StringViewArray};
use rustc_hash::FxHashMap;

use crate::block::KeyExpr;
use crate::column::{self, CodedColumn};
use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::normalize::{self, NormalizeOptions, Normalizer};
use crate::progress::Progress;
use crate::settings::Settings;

/// Normalised columns of one or two tables, stacked (left rows first).
#[derive(Debug)]
pub struct Dataset {
    /// Rows in all.
    pub n: usize,
    /// Rows of the left table, for linkage.
    pub split: Option<usize>,
    /// Ids of each table (one for dedupe, two for linkage).
    pub ids: Vec<Ids>,
    /// `rank[row]` over all rows: left ranks, then right ranks shifted by the left size.
    pub rank: Vec<u32>,
    columns: FxHashMap<(String, Normalizer), CodedColumn>,
    normalize: NormalizeOptions,
}

/// The (column, normaliser) pairs the settings read (the blocking keys' and the columns that
/// order the blocks only, unless `compared`), each once, in order of first use.
fn wanted_columns(settings: &Settings, compared: bool) -> Result<Vec<(String, Normalizer)>> {
    let mut wanted: Vec<(String, Normalizer)> = Vec::new();
    for c in settings.comparisons.iter().filter(|_| compared) {
        wanted.push((c.column.clone(), c.normalizer));
    }
    let mut exprs = Vec::with_capacity(settings.blocking_rules.len());
    for rule in &settings.blocking_rules {
        let mut rule_exprs = Vec::with_capacity(rule.keys.len());
        for key in &rule.keys {
            let expr = KeyExpr::parse(key).map_err(|m| Error::settings("blocking_rules", m))?;
            wanted.push((expr.column.clone(), settings.normalizer_of(&expr.column)));
            rule_exprs.push(expr);
        }
        exprs.push(rule_exprs);
    }
    wanted.extend(
        crate::block::rule_orders(settings, &exprs)
            .into_iter()
            .flatten(),
    );
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|w| seen.insert(w.clone()));
    Ok(wanted)
}

/// Column `name` of every table as text, stacked (phones prefixed with their region when the
/// settings name a region column; dates parsed per table, as two sources may write them in
/// different orders).
fn stacked_text(
    tables: &[(&RecordBatch, Ids)],
    name: &str,
    kind: Normalizer,
    settings: &Settings,
    by_region: bool,
) -> Result<StringViewArray> {
    let mut parts = Vec::with_capacity(tables.len());
    for (batch, _) in tables {
        let mut text = column::as_strings(name, column::column(batch, name)?)?;
        if let (true, Some(rc)) = (by_region, &settings.region_column) {
            let regions = column::as_strings(rc, column::column(batch, rc)?)?;
            text = normalize::with_regions(&text, &regions)?;
        }
        parts.push(if kind == Normalizer::Date {
            normalize::date_column(&text, &settings.default_region)?
        } else {
            text
        });
    }
    if parts.len() == 1 {
        return Ok(parts
            .pop()
            .unwrap_or_else(|| StringViewArray::from(Vec::<&str>::new())));
    }
    let refs: Vec<&dyn Array> = parts.iter().map(|p| p as &dyn Array).collect();
    let cat = arrow_select::concat::concat(&refs)?;
    Ok(arrow_array::cast::AsArray::as_string_view(&cat).clone())
}

/// Normalise and encode one stacked column (`by_region`: values carry their row's region).
fn encode(
    stacked: &StringViewArray,
    kind: Normalizer,
    by_region: bool,
    opts: &NormalizeOptions,
) -> CodedColumn {
    if kind == Normalizer::Date {
        // Parsed already, per table.
        return CodedColumn::encode(stacked, |v| Some(v.to_owned()));
    }
    if !by_region {
        return CodedColumn::encode(stacked, |v| normalize::normalize_with(kind, v, opts));
    }
    CodedColumn::encode(stacked, |v| {
        let (row_opts, value) = normalize::split_region(v, opts);
        normalize::normalize_with(kind, value, &row_opts)
    })
}

impl Dataset {
    /// Normalise every column the settings read, for one table (`tables.len() == 1`) or two.
    ///
    /// # Errors
    /// Missing or mistyped columns, bad ids.
    pub fn prepare(
        tables: &[(&RecordBatch, Ids)],
        settings: &Settings,
        progress: &dyn Progress,
    ) -> Result<Self> {
        Self::prepare_columns(tables, settings, &wanted_columns(settings, true)?, progress)
    }

    /// Normalise only the columns the blocking keys read (see [`Dataset::prepare`]).
    ///
    /// # Errors
    /// Missing or mistyped columns, bad ids.
    pub fn prepare_blocking(
        tables: &[(&RecordBatch, Ids)],
        settings: &Settings,
        progress: &dyn Progress,
    ) -> Result<Self> {
        Self::prepare_columns(
            tables,
            settings,
            &wanted_columns(settings, false)?,
            progress,
        )
    }

    fn prepare_columns(
        tables: &[(&RecordBatch, Ids)],
        settings: &Settings,
        wanted: &[(String, Normalizer)],
        progress: &dyn Progress,
    ) -> Result<Self> {
        let n: usize = tables.iter().map(|(b, _)| b.num_rows()).sum();
        if n > column::MAX_ROWS {
            return Err(Error::TooManyRows {
                rows: n,
                max: column::MAX_ROWS,
            });
        }
        let opts = NormalizeOptions {
            default_region: settings.default_region.clone(),
            ..Default::default()
        };
        let mut columns = FxHashMap::default();
        for (i, (name, kind)) in wanted.iter().enumerate() {
            let by_region = *kind == Normalizer::Phone && settings.region_column.is_some();
            let stacked = stacked_text(tables, name, *kind, settings, by_region)?;
            columns.insert(
                (name.clone(), *kind),
                encode(&stacked, *kind, by_region, &opts),
            );
            progress.update("normalise", i as u64 + 1, wanted.len() as u64)?;
        }
        let mut rank = Vec::with_capacity(n);
        let mut offset = 0u32;
        for (_, ids) in tables {
            rank.extend(ids.rank.iter().map(|r| r + offset));
            offset += ids.len() as u32;
        }
        Ok(Self {
            n,
            split: (tables.len() == 2).then(|| tables[0].0.num_rows()),
            ids: tables.iter().map(|(_, ids)| ids.clone()).collect(),
            rank,
            columns,
            normalize: opts,
        })
    }

    /// The coded column of `name` under `kind`; every (column, normaliser) the settings name
    /// was prepared.
    pub(crate) fn column(&self, name: &str, kind: Normalizer) -> &CodedColumn {
        &self.columns[&(name.to_owned(), kind)]
    }

    /// Per blocking rule (`exprs`, parsed from `settings`), the coded column of each key.
    pub(crate) fn key_parts<'a>(
        &'a self,
        settings: &Settings,
        exprs: &[Vec<KeyExpr>],
    ) -> Vec<Vec<&'a CodedColumn>> {
        exprs
            .iter()
            .map(|r| {
                r.iter()
                    .map(|e| self.column(&e.column, settings.normalizer_of(&e.column)))
                    .collect()
            })
            .collect()
    }

    /// Per blocking rule (`exprs`, parsed from `settings`), every row's key hash (0: none).
    #[must_use]
    pub fn row_keys(&self, settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<Vec<u64>> {
        let parts = self.key_parts(settings, exprs);
        exprs
            .iter()
            .zip(&parts)
            .map(|(e, p)| crate::block::rule_keys(e, p, self.n))
            .collect()
    }

    /// Per blocking rule (`exprs`, parsed from `settings`), every row's order key in its blocks
    /// (see [`crate::block::rule_orders`]).
    #[must_use]
    pub fn row_orders(&self, settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<Vec<u64>> {
        crate::block::rule_orders(settings, exprs)
            .iter()
            .map(|o| {
                let col = o.as_ref().map(|(name, kind)| self.column(name, *kind));
                crate::block::row_orders(col, self.n)
            })
            .collect()
    }

    /// Comparisons bound to their columns.
    #[must_use]
    pub fn comparisons<'a>(&'a self, settings: &'a Settings) -> Vec<Comparison<'a>> {
        settings
            .comparisons
            .iter()
            .map(|c| Comparison::new(c, self.column(&c.column, c.normalizer)))
            .collect()
    }

    /// Text of the id of `row` (over all rows, left first), for messages.
    pub(crate) fn id_text(&self, row: usize) -> String {
        match self.split {
            Some(cut) if row >= cut => crate::cluster::id_text(&self.ids[1], row - cut),
            _ => crate::cluster::id_text(&self.ids[0], row),
        }
    }

    /// Options the columns were normalised with.
    #[must_use]
    pub fn normalize_options(&self) -> &NormalizeOptions {
        &self.normalize
    }
}
