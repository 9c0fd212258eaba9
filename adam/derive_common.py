"""Derivations shared by the ADaM datasets: input checks, merges, extreme records and flags, baseline.

All functions are pure (DataFrame in, new DataFrame out) and vectorised: sort once, then group
operations; never a Python loop over subjects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

Order = Sequence[tuple[str, bool]]  # (column, ascending) pairs; missing values sort last


def assert_inputs(
    sources: Mapping[str, pd.DataFrame | None],
    required: Mapping[str, Sequence[str]],
    target: str,
) -> None:
    """Fail with one DerivationError naming every missing dataset and variable `target` needs."""
    problems = []
    for name, variables in required.items():
        frame = sources.get(name)
        if frame is None:
            problems.append(Problem(name, f"{target} needs dataset {name}, which was not given"))
            continue
        missing = [v for v in variables if v not in frame.columns]
        if missing:
            problems.append(Problem(name, f"{target} needs variable(s) {', '.join(missing)} of {name}"))
    if problems:
        raise DerivationError(f"cannot derive {target}: required input is missing", problems)


def column(frame: pd.DataFrame, name: str, default: object = None) -> pd.Series:
    """A column of `frame`, or a column of `default` when the (optional) variable is absent."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object if default is None else None)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """`table[key]` for every key (NaN/NaT where absent), keeping `table`'s dtype even when it is empty.

    `Series.map(empty datetime Series)` raises in pandas 3; reindexing does not.
    """
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype=table.dtype)


def compute_yn(mask: pd.Series) -> pd.Series:
    """Boolean -> "Y"/"N" (population flags are never null)."""
    return pd.Series(np.where(mask.fillna(False).astype(bool), "Y", "N"), index=mask.index, dtype="str")


def compute_y_or_null(mask: pd.Series) -> pd.Series:
    """Boolean -> "Y"/null (record-level flags such as TRTEMFL, ABLFL)."""
    values = np.where(mask.fillna(False).astype(bool), "Y", None).astype(object)
    return pd.Series(values, index=mask.index, dtype="str")


def upper_text(series: pd.Series) -> pd.Series:
    """Upper-cased, stripped text (for comparing controlled terms without caring about case)."""
    return series.astype("str").str.strip().str.upper()


def sort_records(frame: pd.DataFrame, by: Sequence[str], order: Order) -> pd.DataFrame:
    """Stable sort by `by` then `order`, missing values last."""
    columns = list(by) + [c for c, _ in order]
    ascending = [True] * len(by) + [a for _, a in order]
    return frame.sort_values(columns, ascending=ascending, na_position="last", kind="mergesort")


def filter_extreme(frame: pd.DataFrame, by: Sequence[str], order: Order, mode: str = "first") -> pd.DataFrame:
    """One record per `by` group: the first (or last) after sorting by `order`."""
    if mode not in ("first", "last"):
        raise ValueError(f"mode must be 'first' or 'last', not {mode!r}")
    ordered = sort_records(frame, by, order)
    keep = ~ordered.duplicated(list(by), keep="first" if mode == "first" else "last")
    return ordered[keep]


def derive_var_extreme_flag(
    frame: pd.DataFrame,
    by: Sequence[str],
    order: Order,
    new_var: str,
    mode: str = "first",
    where: pd.Series | None = None,
) -> pd.DataFrame:
    """Add `new_var` = "Y" on the first/last record of each `by` group (among rows where `where`)."""
    # only the key and sort columns are sorted (the whole record would be copied for the row numbers it gives)
    slim = frame[list(dict.fromkeys([*by, *(c for c, _ in order)]))]
    eligible = slim if where is None else slim[where.fillna(False).astype(bool)]
    chosen = filter_extreme(eligible, by, order, mode).index
    out = frame.copy()
    out[new_var] = compute_y_or_null(pd.Series(frame.index.isin(chosen), index=frame.index))
    return out


def derive_var_obs_number(frame: pd.DataFrame, by: Sequence[str], order: Order,
                          new_var: str = "ASEQ") -> pd.DataFrame:
    """Number the records 1, 2, ... within each `by` group in `order` (e.g. ASEQ); keeps row order."""
    slim = frame[list(dict.fromkeys([*by, *(c for c, _ in order)]))]  # the record is not needed to number it
    ordered = sort_records(slim, by, order)
    numbers = ordered.groupby(list(by), sort=False, dropna=False).cumcount() + 1
    out = frame.copy()
    out[new_var] = numbers.reindex(frame.index).astype("Int64")
    return out


def derive_vars_merged(
    frame: pd.DataFrame,
    additional: pd.DataFrame,
    by: Sequence[str],
    new_vars: Sequence[str],
    what: str = "records",
) -> pd.DataFrame:
    """Left-join `new_vars` of `additional` (one record per `by`) onto `frame`; logs unmatched rows."""
    if additional.duplicated(list(by)).any():
        dupes = additional[additional.duplicated(list(by), keep=False)][list(by)].drop_duplicates()
        raise DerivationError(f"cannot merge {', '.join(new_vars)}: more than one record per {', '.join(by)}",
                              [Problem("merge", f"duplicate key {tuple(row)}") for row in dupes.head(10).values])
    keep = [v for v in new_vars if v not in by]
    merged, unmatched = lookup_join(frame, additional, by, keep)
    if unmatched:
        log.warning("%d %s have no matching %s record; merged variables are null for them",
                    unmatched, what, "/".join(by))
    return merged


def lookup_join(frame: pd.DataFrame, right: pd.DataFrame, by: Sequence[str],
                columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """`frame` with `columns` of the one `right` record of each `by` key (replacing same-named columns; null
    where no key matches), and the number of unmatched records. A left join that leaves `frame`'s own
    columns alone: `DataFrame.merge` rebuilds every one of them (ADLB: 64 columns of a million records)."""
    by = list(by)
    if len(by) == 1:
        position = pd.Index(right[by[0]]).get_indexer(frame[by[0]])
    else:
        position = pd.MultiIndex.from_frame(right[by]).get_indexer(pd.MultiIndex.from_frame(frame[by]))
    taken = right[list(columns)].reset_index(drop=True).reindex(position)
    out = frame.drop(columns=[c for c in columns if c in frame.columns])
    for column in columns:
        out[column] = taken[column].array
    return out, int((position == -1).sum())


def merge_adsl(frame: pd.DataFrame, adsl: pd.DataFrame, variables: Sequence[str],
               what: str = "records") -> pd.DataFrame:
    """Left-join the ADSL `variables` that exist onto `frame` by USUBJID.

    TRTA is ADSL.TRT01A: the study has one treatment period, so the actual treatment of every record
    is the subject's period-01 treatment.
    """
    source = adsl.assign(TRTA=adsl["TRT01A"]) if "TRT01A" in adsl.columns else adsl
    return derive_vars_merged(frame, source, ["USUBJID"], [v for v in variables if v in source.columns], what)


def order_columns(frame: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    """`frame` with the `first` columns that exist in front, the others after them in their order."""
    front = [c for c in first if c in frame.columns]
    return frame[front + [c for c in frame.columns if c not in front]]


def derive_var_base(frame: pd.DataFrame, by: Sequence[str], source: str = "AVAL",
                    flag: str = "ABLFL", new_var: str = "BASE") -> pd.DataFrame:
    """`new_var` = `source` of the record flagged `flag` == "Y" in each `by` group."""
    base = frame.loc[frame[flag] == "Y", list(by) + [source]]
    if base.duplicated(list(by)).any():
        raise DerivationError(f"more than one {flag} record per {', '.join(by)}")
    return lookup_join(frame, base.rename(columns={source: new_var}), by, [new_var])[0]


def compute_chg(value: pd.Series, base: pd.Series) -> pd.Series:
    """AVAL - BASE."""
    return value - base


def compute_pchg(value: pd.Series, base: pd.Series) -> pd.Series:
    """(AVAL - BASE) / BASE * 100; null when BASE is 0 or missing (ADaM rule AD0225)."""
    safe = base.where(base != 0)
    return (value - safe) / safe * 100


def first_date_per_subject(frame: pd.DataFrame, date: str, where: pd.Series | None = None,
                           mode: str = "first", key: str = "USUBJID") -> pd.Series:
    """Earliest (or latest) non-null `date` per subject among rows where `where`; Series indexed by key."""
    rows = frame if where is None else frame[where.fillna(False).astype(bool)]
    rows = rows[rows[date].notna()]
    grouped = rows.groupby(key)[date]
    return grouped.min() if mode == "first" else grouped.max()


def warn_absent(frame: pd.DataFrame | None, domain: str, consequences: Mapping[str, str]) -> None:
    """One WARNING per optional variable `frame` (a given dataset) lacks, saying what is left null without it."""
    if frame is None:
        return
    for name, consequence in consequences.items():
        if name not in frame.columns:
            log.warning("%s has no %s: %s", domain, name, consequence)
