"""Bad input through the Python API: always a crmdedup error naming the column, key or value."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmdedup
from crmdedup.errors import ConfigError, CrmdedupError, SchemaError

from .conftest import isolated

# -- columns and ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error", "needle"),
    [
        # A column of the Null dtype used to fail in the Arrow import with a TypeError.
        ('df = df.with_columns(pl.lit(None).alias("email"))', "ok", ""),
        ('df = df.with_columns(pl.lit(None).alias("id"))', "SchemaError", "`id`"),
        (
            'df = df.with_columns(pl.col("email").map_elements(lambda v: [v], '
            "return_dtype=pl.List(pl.String)))",
            "SchemaError",
            "`email`",
        ),
        ('df = df.with_columns(pl.struct("email").alias("email"))', "SchemaError", "`email`"),
        (
            'df = pd.DataFrame({"id": [1, "b", 3.5], "first_name": ["a", "b", "c"], '
            '"last_name": ["x", "y", "z"]})',
            "SchemaError",
            "`id`",
        ),
        (
            'df = pd.DataFrame([[1, "a", "b"]], columns=["id", "last_name", "last_name"])',
            "SchemaError",
            "`last_name`",
        ),
    ],
)
def test_odd_columns_in_a_subprocess(code: str, error: str, needle: str) -> None:
    name, message = isolated(
        f"""
        df = pl.DataFrame({{"id": ["a", "b", "c"], "first_name": ["Jean", "JEAN", "Marie"],
                           "last_name": ["Dupont", "Dupont", "Curie"],
                           "email": ["j@x.fr", "J@x.fr", "m@c.fr"]}})
        {code}
        crmdedup.dedupe(df, id_column="id")
        """
    )
    assert name == error, message
    assert needle in message


def test_null_columns_in_normalize_and_profile(people: pl.DataFrame) -> None:
    empty = people.with_columns(pl.lit(None).alias("email"))
    assert crmdedup.normalize(empty).height == 3
    assert crmdedup.profile(empty).height > 0


def test_pyarrow_duplicate_column_names() -> None:
    table = pa.table([["a", "b"], ["x", "y"], ["x", "z"]], names=["id", "nom", "nom"])
    with pytest.raises(SchemaError, match="nom"):
        crmdedup.dedupe(table, id_column="id")


def test_python_objects_are_named() -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "email": [object(), object()]})
    with pytest.raises(SchemaError, match="`email`"):
        crmdedup.dedupe(frame, id_column="id")


@pytest.mark.parametrize(
    "name", ["cluster_id", "cluster_size", "source_dataset", "gamma_email", "weight_email"]
)
def test_id_columns_named_like_outputs(people: pl.DataFrame, name: str) -> None:
    frame = people.rename({"id": name})
    settings = crmdedup.infer_settings(people)
    extra = crmdedup.Comparison("email", name="email_l", method="exact", normalizer="email")
    settings = settings.with_(comparisons=(*settings.comparisons, extra))
    if name in ("cluster_id", "cluster_size"):
        with pytest.raises(SchemaError, match=f"`{name}`"):
            crmdedup.dedupe(frame, settings, id_column=name)
    elif name == "source_dataset":
        with pytest.raises(SchemaError, match=f"`{name}`"):
            crmdedup.link(frame, frame, settings, id_column=name)
    else:  # `<id>_l` is also `gamma_email_l` / `weight_email_l`
        with pytest.raises(SchemaError, match=f"`{name}_l`"):
            crmdedup.dedupe(frame, settings, id_column=name)


@pytest.mark.parametrize("name", ["match_weight", "match_probability", "row_id"])
def test_harmless_id_names_still_work(people: pl.DataFrame, name: str) -> None:
    result = crmdedup.dedupe(people.rename({"id": name}), id_column=name)
    assert result.clusters.columns[0] == name


# -- call arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [0, -1, True, False, 1.5, "2"])
def test_absurd_threads(people: pl.DataFrame, threads: object) -> None:
    with pytest.raises(ConfigError, match="`threads`"):
        crmdedup.dedupe(people, id_column="id", threads=threads)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`threads`"):
        crmdedup.link(people, people, id_column="id", threads=threads)  # type: ignore[arg-type]


@pytest.mark.parametrize("threads", ["10**9", "2**70"])
def test_huge_threads_in_a_subprocess(threads: str) -> None:
    name, message = isolated(
        f'crmdedup.dedupe(pl.DataFrame({{"email": ["a"]}}), threads={threads})'
    )
    assert name == "ConfigError" and "`threads`" in message


@pytest.mark.parametrize("model", ["model.json", {}, 3, object()])
def test_model_that_is_not_a_model(people: pl.DataFrame, model: object) -> None:
    with pytest.raises(ConfigError, match="`model`"):
        crmdedup.dedupe(people, id_column="id", model=model)  # type: ignore[arg-type]


def test_progress_and_id_column_of_the_wrong_type(people: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="`progress`"):
        crmdedup.dedupe(people, id_column="id", progress=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`id_column`"):
        crmdedup.dedupe(people, id_column=5)  # type: ignore[arg-type]


def test_paths_that_are_directories(people: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="directory"):
        crmdedup.dedupe(people, tmp_path, id_column="id")
    with pytest.raises(ConfigError, match="directory"):
        crmdedup.Settings.from_toml(tmp_path)
    with pytest.raises(ConfigError, match="directory"):
        crmdedup.Model.load(tmp_path)
    model = crmdedup.dedupe(people, id_column="id").model
    with pytest.raises(CrmdedupError, match="directory"):
        model.save(tmp_path)


# -- settings of the wrong type or value ----------------------------------------------------

SETTINGS = crmdedup.Settings(
    comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
    blocking_rules=(crmdedup.BlockingRule(("email",)),),
)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"threshold": math.nan}, "`threshold`"),
        ({"threshold": math.inf}, "`threshold`"),
        ({"threshold": -0.5}, "threshold"),
        ({"threshold": "0.9"}, "`threshold`"),
        ({"guard_probability": math.nan}, "`guard_probability`"),
        ({"max_block_size": -1}, "`max_block_size`"),
        ({"max_block_size": 2.5}, "`max_block_size`"),
        ({"max_block_size": 10**30}, "`max_block_size`"),
        ({"max_cluster_size": -5}, "`max_cluster_size`"),
        ({"max_cluster_size": True}, "`max_cluster_size`"),
        ({"em": crmdedup.EmSettings(tolerance=math.nan)}, "`em.tolerance`"),
        ({"em": crmdedup.EmSettings(tolerance=-1.0)}, "em.tolerance"),
        ({"em": crmdedup.EmSettings(max_iterations=-1)}, "`em.max_iterations`"),
        ({"em": crmdedup.EmSettings(max_iterations=2**40)}, "`em.max_iterations`"),
        ({"em": crmdedup.EmSettings(u_sample_size=-1)}, "`em.u_sample_size`"),
        ({"em": crmdedup.EmSettings(seed=-1)}, "`em.seed`"),
        ({"em": {"seed": 1}}, "`em`"),
        ({"comparisons": ("email",)}, "`comparisons[0]`"),
        ({"blocking_rules": (crmdedup.BlockingRule((3,)),)}, "`blocking_rules[0].keys`"),
        (
            {"comparisons": (crmdedup.Comparison("email", thresholds=(math.nan,)),)},
            "`comparisons[0].thresholds`",
        ),
        ({"default_region": 33}, "`default_region`"),
    ],
)
def test_bad_setting_values_name_the_key(
    people: pl.DataFrame, change: dict[str, object], key: str
) -> None:
    bad = SETTINGS.with_(**change)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        crmdedup.dedupe(people, bad, id_column="id")
    with pytest.raises(ConfigError):
        bad.validate()


@given(value=st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=60, deadline=None)
def test_any_float_threshold_is_accepted_or_named(value: float) -> None:
    people = pl.DataFrame({"id": ["a", "b"], "email": ["x@y.fr", "x@y.fr"]})
    try:
        result = crmdedup.dedupe(people, SETTINGS.with_(threshold=value), id_column="id")
    except ConfigError as e:
        assert "threshold" in str(e)
        assert not 0 < value < 1
    else:
        assert 0 < value < 1
        assert result.clusters.height == 2


@given(
    key=st.sampled_from(["max_block_size", "max_cluster_size"]),
    value=st.integers(min_value=-(2**80), max_value=2**80),
)
@settings(max_examples=40, deadline=None)
def test_any_integer_size_is_accepted_or_named(key: str, value: int) -> None:
    try:
        SETTINGS.with_(**{key: value}).validate()
    except ConfigError as e:
        assert key in str(e)
    else:
        assert 2 <= value < 2**64


def test_from_dict_rejects_nan_with_the_key() -> None:
    data = {"comparisons": [{"column": "email"}], "blocking_rules": [["email"]]}
    with pytest.raises(ConfigError, match="`threshold`"):
        crmdedup.Settings.from_dict({**data, "threshold": math.nan})
    with pytest.raises(ConfigError, match=r"`em\.tolerance`"):
        crmdedup.Settings.from_dict({**data, "em": {"tolerance": math.inf}})


# -- ids in the data-subject functions ------------------------------------------------------


@pytest.fixture
def clusters(people: pl.DataFrame) -> pl.DataFrame:
    return crmdedup.dedupe(people, id_column="id").clusters


@pytest.mark.parametrize("requests", [[1], [["a"]], [{"id": "a"}], [None], "a", 5])
def test_erasure_plan_ids_of_the_wrong_type(
    people: pl.DataFrame, clusters: pl.DataFrame, requests: object
) -> None:
    with pytest.raises(SchemaError, match=r"`id`|requests"):
        crmdedup.erasure_plan(people, clusters, requests, id_column="id")


@pytest.mark.parametrize("subject", [1, ["a"], {"id": "a"}, None, 2.5])
def test_subject_export_ids_of_the_wrong_type(
    people: pl.DataFrame, clusters: pl.DataFrame, subject: object
) -> None:
    with pytest.raises(SchemaError, match="`id`"):
        crmdedup.subject_export(people, clusters, None, subject, id_column="id")


def test_integer_ids_refuse_text(clusters: pl.DataFrame) -> None:
    people = pl.DataFrame({"id": [1, 2, 3], "email": ["a@x.fr", "b@x.fr", "c@x.fr"]})
    clusters = crmdedup.dedupe(people, id_column="id").clusters
    with pytest.raises(SchemaError, match=r"'abc'"):
        crmdedup.erasure_plan(people, clusters, ["abc"], id_column="id")
    with pytest.raises(SchemaError, match=r"'abc'"):
        crmdedup.subject_export(people, clusters, None, "abc", id_column="id")


def test_pandas_with_duplicate_names_in_merge(clusters: pl.DataFrame) -> None:
    frame = pd.DataFrame([["a", "x", "y"]], columns=["id", "nom", "nom"])
    with pytest.raises(SchemaError, match="`nom`"):
        crmdedup.merge(frame, clusters, id_column="id")


# -- merge, consent and evaluation inputs ----------------------------------------------------

PEOPLE = pl.DataFrame({"record_id": [1, 2], "email": ["a@x.fr", "A@x.fr"]})
CLUSTERS = pl.DataFrame({"record_id": [1, 2], "cluster_id": [1, 1]})


def test_list_contact_points_are_named() -> None:
    listed = PEOPLE.with_columns(pl.col("email").map_elements(lambda v: [v], pl.List(pl.String)))
    with pytest.raises(SchemaError, match="`email`"):
        crmdedup.merge(listed, CLUSTERS, id_column="record_id")


def test_consent_record_ids_of_a_nested_type() -> None:
    events = pl.DataFrame(
        {
            "record_id": [[1]],
            "purpose": ["email_marketing"],
            "status": ["granted"],
            "recorded_at": ["2024-01-01"],
            "source": ["web"],
            "proof": ["p"],
        }
    )
    with pytest.raises(SchemaError, match="`record_id`"):
        crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=events)


def test_policy_and_purposes_of_the_wrong_type() -> None:
    with pytest.raises(ConfigError, match="`policy`"):
        crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", policy="strict")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`purposes`"):
        crmdedup.consents_from_columns(PEOPLE, id_column="record_id", purposes=["x"])  # type: ignore[arg-type]


def test_truth_with_ids_of_another_type() -> None:
    result = crmdedup.dedupe(PEOPLE, id_column="record_id")
    truth = pl.DataFrame({"record_id": ["1", "2"], "entity": [1, 1]})
    assert crmdedup.evaluate(result, truth).f1 >= 0
    with pytest.raises(SchemaError, match="`record_id`"):
        crmdedup.evaluate(result, pl.DataFrame({"record_id": ["x", "y"], "entity": [1, 1]}))


# -- objects built in Python with the wrong types --------------------------------------------


@pytest.mark.parametrize(
    ("build", "key"),
    [
        (lambda: crmdedup.Settings(comparisons=None, blocking_rules=()), "`comparisons`"),  # type: ignore[arg-type]
        (lambda: crmdedup.Settings(comparisons=(), blocking_rules=(5,)), "`blocking_rules`"),  # type: ignore[arg-type]
        (lambda: crmdedup.Comparison("email", thresholds=None), "`thresholds`"),  # type: ignore[arg-type]
        (lambda: crmdedup.Comparison("email", thresholds=0.9), "`thresholds`"),  # type: ignore[arg-type]
        (lambda: crmdedup.BlockingRule(keys=5), "`keys`"),  # type: ignore[arg-type]
        (lambda: SETTINGS.with_(treshold=0.9), "`treshold`"),
    ],
)
def test_settings_objects_of_the_wrong_type(build: object, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        build()  # type: ignore[operator]


def test_settings_accept_any_iterable() -> None:
    rules = (crmdedup.BlockingRule(k) for k in (("email",),))
    built = crmdedup.Settings(comparisons=[crmdedup.Comparison("email")], blocking_rules=rules)
    assert built.blocking_rules[0].keys == ("email",)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"n_rows": -5}, "`n_rows`"),
        ({"n_rows": "10"}, "`n_rows`"),
        ({"n_rows": 10.5}, "`n_rows`"),
        ({"n_rows": 10, "seed": -1}, "`seed`"),
        ({"n_rows": 10, "duplicate_rate": math.nan}, "`duplicate_rate`"),
        ({"n_rows": 10, "corruption": "high"}, "`corruption`"),
    ],
)
def test_generate_contacts_arguments(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        crmdedup.datasets.generate_contacts(**kwargs)  # type: ignore[arg-type]


def test_model_from_text_that_is_not_json() -> None:
    with pytest.raises(ConfigError, match="invalid model"):
        crmdedup.Model("nope")
    with pytest.raises(ConfigError, match="JSON text"):
        crmdedup.Model(b"{}")  # type: ignore[arg-type]


def test_truth_dict_and_contact_points_of_mixed_types() -> None:
    result = crmdedup.dedupe(PEOPLE, id_column="record_id")
    with pytest.raises(SchemaError, match="`truth`"):
        crmdedup.evaluate(result, {1: 1, "2": [1]})
    with pytest.raises(SchemaError, match="`values`"):
        crmdedup.canonical_contact_point(5, "email")  # type: ignore[arg-type]
