"""Numbers of the report: data quality, duplicates, weights and sobriety, from a run's outputs.

The CO2e figures are estimates from configurable factors documented in ``docs/report.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from crmdedup._arrow import to_engine
from crmdedup.inspect import normalize_specs, profile_specs
from crmdedup.model import weight_of

__all__ = ["ReportOptions", "SobrietyFactors", "compute_stats"]


@dataclass(frozen=True)
class SobrietyFactors:
    """Factors behind the CO2e estimates (sources in ``docs/report.md``).

    Parameters
    ----------
    email_g_co2e
        Grams of CO2e per email sent and read (default 4 g: Berners-Lee, *How Bad Are
        Bananas?*, "typical email"; the 2020 edition ranges from 0.3 g to 26 g).
    campaigns_per_year
        Email campaigns sent to the whole base each year.
    storage_kg_co2e_per_gb_year
        Kilograms of CO2e per gigabyte stored for a year, replicas and cooling included
        (default 0.025: 0.1 kWh per GB-year times 0.25 kg CO2e per kWh).
    """

    email_g_co2e: float = 4.0
    campaigns_per_year: int = 12
    storage_kg_co2e_per_gb_year: float = 0.025


@dataclass(frozen=True)
class ReportOptions:
    """What the report counts and how.

    Parameters
    ----------
    retention_years
        A contact with no activity for this long is past retention (default 3 years, the
        CNIL's usual guidance for prospects).
    as_of
        Date the retention period is counted back from; today when ``None``.
    factors
        Sobriety factors.
    title
        Page title.
    """

    retention_years: float = 3.0
    as_of: date | None = None
    factors: SobrietyFactors = field(default_factory=SobrietyFactors)
    title: str = "crmdedup report"


Regions = tuple[str, str | None]
"""Default region and optional region column phone numbers are read with."""


def _as_datetime(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.replace_time_zone(None)
    if dtype == pl.Date:
        return pl.col(column).cast(pl.Datetime("us"))
    return pl.col(column).cast(pl.String).str.to_datetime(strict=False, time_unit="us")


def _blank(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().replace("", None).is_null()


def _engine_view(records: pl.DataFrame, columns: Sequence[str], regions: Regions) -> pl.DataFrame:
    """The columns the engine reads, with the region column phones are read in."""
    # A region column missing from the records is left for the engine to report.
    extra = [regions[1]] if regions[1] in records.columns else []
    keep = list(dict.fromkeys([*columns, *extra]))
    return to_engine(records.select(keep))


def _quality(
    records: pl.DataFrame,
    roles: dict[str, str],
    contact_columns: Sequence[str],
    regions: Regions,
) -> dict[str, int]:
    out: dict[str, int] = {}
    # Invalid and missing contact points are the engine's profile, as `crmdedup profile` shows.
    specs = [(roles[role], role) for role in ("email", "phone") if role in roles]
    if specs:
        view = _engine_view(records, [c for c, _ in specs], regions)
        prof = profile_specs(view, specs, default_region=regions[0], region_column=regions[1])
        for (_, role), p in zip(specs, prof.iter_rows(named=True), strict=True):
            out[f"invalid_{role}s"] = int(p["invalid"])
            if role == "email":
                out["missing_emails"] = int(p["nulls"] + p["empty"])
    exprs: list[pl.Expr] = []
    present = [c for c in contact_columns if c in records.columns]
    if present:
        empty = pl.all_horizontal(*(_blank(c) for c in present))
        exprs.append(empty.sum().alias("empty_records"))
    reach = [roles[r] for r in ("email", "phone", "address") if r in roles]
    if reach:
        exprs.append(pl.all_horizontal(*(_blank(c) for c in reach)).sum().alias("unreachable"))
    if exprs:
        out |= {k: int(v) for k, v in records.select(exprs).row(0, named=True).items()}
    return out


def compute_stats(
    *,
    clusters: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    id_column: str,
    records: pl.DataFrame | None = None,
    roles: dict[str, str] | None = None,
    input_bytes: int | None = None,
    consent: pl.DataFrame | None = None,
    candidates: pl.DataFrame | None = None,
    options: ReportOptions | None = None,
    default_region: str = "FR",
    region_column: str | None = None,
) -> dict[str, Any]:
    """Compute every number of the report.

    Parameters
    ----------
    clusters
        The id column, ``cluster_id`` and ``cluster_size``.
    pairs
        Matched pairs with ``match_weight``.
    threshold
        Match probability threshold of the run.
    id_column
        The id column.
    records
        The input records, for data quality, sources and activity (sections are left out
        without them).
    roles
        Role → column: ``email``, ``phone``, ``address``, ``source``, ``activity`` and
        ``contact`` columns (every compared column).
    input_bytes
        Size of the input file, for the storage estimate.
    consent
        The consent ledger of ``crmdedup merge`` (``purpose``, ``status``).
    candidates
        Pairs below the threshold shown for review, added to the weight histogram.
    options
        Retention, date and factors.
    default_region, region_column
        Where phone numbers without country code are read, as in the run's settings; the
        invalid and missing counts are those of :func:`crmdedup.profile`.

    Returns
    -------
    dict[str, Any]
        JSON-serialisable numbers, read by :func:`render_html`.
    """
    options = options or ReportOptions()
    roles = dict(roles or {})
    as_of = options.as_of or date.today()
    rows = clusters.height
    n_clusters = clusters.get_column("cluster_id").n_unique()
    sizes = (
        clusters.group_by("cluster_id")
        .agg(pl.len().alias("size"))
        .group_by("size")
        .agg(pl.len().alias("clusters"))
        .sort("size")
    )
    weights = pairs.get_column("match_weight")
    if candidates is not None and candidates.height:
        below = candidates.filter(pl.col("match_probability") < threshold)
        weights = pl.concat([weights, below.get_column("match_weight")])
    stats: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "threshold": threshold,
        "threshold_weight": weight_of(threshold),
        "records": rows,
        "clusters": n_clusters,
        "duplicate_records": rows - n_clusters,
        "matched_pairs": pairs.height,
        "cluster_sizes": [list(r) for r in sizes.rows()],
        "weight_histogram": _histogram(weights),
        "retention_years": options.retention_years,
        "factors": asdict(options.factors),
    }
    if records is not None:
        regions = (default_region, region_column)
        _record_sections(stats, records, clusters, roles, regions, as_of, options)
    if consent is not None and consent.height:
        counts = consent.group_by("purpose", "status").agg(pl.len()).sort("purpose", "status")
        stats["consent"] = [list(r) for r in counts.rows()]
    stats["sobriety"] = _sobriety(stats, input_bytes, options.factors)
    return stats


def _histogram(weights: pl.Series, width: float = 2.0) -> list[list[float]]:
    if weights.len() == 0:
        return []
    bins = (
        pl.DataFrame({"w": weights.cast(pl.Float64)})
        .filter(pl.col("w").is_finite())
        .group_by(((pl.col("w") / width).floor() * width).alias("lo"))
        .agg(pl.len().alias("n"))
        .sort("lo")
    )
    return [[float(lo), int(n)] for lo, n in bins.rows()]


def _record_sections(
    stats: dict[str, Any],
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    roles: dict[str, str],
    regions: Regions,
    as_of: date,
    options: ReportOptions,
) -> None:
    contact = [c for c in roles.get("contact", "").split(",") if c]
    stats["quality"] = _quality(records, roles, contact, regions)
    work = records.with_columns(clusters.get_column("cluster_id").alias("__cluster"))
    work = work.with_columns(pl.len().over("__cluster").alias("__size"))
    if "source" in roles:
        by_source = (
            work.group_by(pl.col(roles["source"]).cast(pl.String).fill_null("(none)").alias("s"))
            .agg(pl.len().alias("records"), (pl.col("__size") > 1).sum().alias("in_duplicates"))
            .sort("records", descending=True)
        )
        stats["sources"] = [list(r) for r in by_source.rows()]
    if "email" in roles:
        column = roles["email"]
        seen = normalize_specs(_engine_view(records, [column], regions), [(column, "email")])
        valid = pl.lit(seen.get_column(f"{column}_valid").fill_null(False))
        emails = work.select(
            valid.sum().alias("records"),
            pl.col("__cluster").filter(valid).n_unique().alias("people"),
        ).row(0, named=True)
        stats["emailable"] = {k: int(v) for k, v in emails.items()}
    if "activity" in roles:
        cutoff = datetime(as_of.year, as_of.month, as_of.day) - _years(options.retention_years)
        seen = work.select(
            _as_datetime(records, roles["activity"]).alias("seen"), pl.col("__cluster")
        )
        per_person = seen.group_by("__cluster").agg(pl.col("seen").max())
        stats["inactive"] = {
            "column": roles["activity"],
            "cutoff": cutoff.date().isoformat(),
            "records": int(seen.select((pl.col("seen") < cutoff).sum()).item()),
            "people": int(per_person.select((pl.col("seen") < cutoff).sum()).item()),
            "unknown": int(per_person.select(pl.col("seen").is_null().sum()).item()),
        }


def _years(n: float) -> timedelta:
    return timedelta(days=round(365.25 * n))


def _sobriety(
    stats: dict[str, Any], input_bytes: int | None, factors: SobrietyFactors
) -> dict[str, Any]:
    before, after = stats["records"], stats["clusters"]
    out: dict[str, Any] = {"records_before": before, "records_after": after}
    if input_bytes is not None and before:
        bytes_after = round(input_bytes * after / before)
        saved_gb = (input_bytes - bytes_after) / 1e9
        out |= {
            "bytes_before": input_bytes,
            "bytes_after": bytes_after,
            "storage_kg_co2e_per_year": saved_gb * factors.storage_kg_co2e_per_gb_year,
        }
    if "emailable" in stats:
        avoided = stats["emailable"]["records"] - stats["emailable"]["people"]
        out |= {
            "emails_avoided_per_campaign": avoided,
            "emails_avoided_per_year": avoided * factors.campaigns_per_year,
            "email_kg_co2e_per_year": avoided
            * factors.campaigns_per_year
            * factors.email_g_co2e
            / 1000,
        }
    return out
