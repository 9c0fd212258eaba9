"""What an operator sees while a rule runs on one dataset: the frame, the other datasets, define.xml,
and cached, vectorized views of columns (null masks, numbers, ISO dates) shared by every rule.

Views are cached per frame and column for the whole run: forty rules asking whether LBDTC is a full
date parse it once. The key is the frame's identity (not the Dataset's), so that a run can use the views
made by rules run ahead on the same frames (validation.ahead).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from formats.isodates import complete_date
from formats.sasdates import from_sas
from validation.datasets import Dataset
from validation.define import Define



PER_VALUE_MIN_RECORDS = 1000  # below this, `per_value` computes on the column itself


class NotApplicable(Exception):
    """The rule cannot apply to this dataset (a variable or a dataset it needs is absent)."""


class Cache:
    def __init__(self) -> None:
        self._store: dict[Hashable, Any] = {}
        self._columns: dict[tuple[int, str], pd.Series] = {}

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        found = self._store.get(key, _ABSENT)
        if found is _ABSENT:
            found = self._store[key] = make()
        return found

    def column(self, frame: pd.DataFrame, name: str) -> pd.Series | None:
        """`frame[name]`, made once (pandas builds a new Series on every access); None when it is no column."""
        key = (id(frame), name)
        found = self._columns.get(key)
        if found is None and name in frame.columns:
            found = self._columns[key] = frame[name]
        return found


_ABSENT = object()


class RuleContext:
    """One rule on one dataset (or on the study, when `dataset` is None)."""

    def __init__(self, datasets: dict[str, Dataset], define: Define | None, cache: Cache,
                 dataset: Dataset | None = None, evaluate: Callable[..., pd.Series] | None = None,
                 options: dict[str, Any] | None = None):
        self.datasets = datasets
        self.define = define
        self.cache = cache
        self.dataset = dataset
        self._evaluate = evaluate
        self.options = options or {}
        self.absent: frozenset[str] = frozenset()  # optional variables (`--STAT?`) read as all-missing

    # --- the dataset and its variables -------------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        if self.dataset is None:
            raise NotApplicable("this operator needs a dataset")
        return self.dataset.frame

    def on(self, dataset: Dataset) -> "RuleContext":
        return RuleContext(self.datasets, self.define, self.cache, dataset, self._evaluate, self.options)

    def allowing_absent(self, variable: str) -> "RuleContext":
        """The same context, reading `variable` as missing on every record if it is not a column."""
        child = self.on(self.dataset)
        child.absent = self.absent | {variable}
        return child

    def other(self, name: str) -> Dataset:
        """Another dataset of the study, by name; NotApplicable when it is not there."""
        found = self.datasets.get(name.upper())
        if found is None:
            raise NotApplicable(f"dataset {name} is not present")
        return found

    def expand(self, variable: str | None, dataset: Dataset | None = None) -> str | None:
        """`--SEQ` -> `AESEQ` for the dataset (this one unless given); a trailing `?` marks it optional."""
        if variable is None:
            return None
        dataset = dataset or self.dataset
        name = variable.rstrip("?")
        if name.startswith("--"):
            prefix = dataset.prefix if dataset is not None else ""
            name = prefix + name[2:] if prefix else name
        return name

    def expand_all(self, variables, dataset: Dataset | None = None, *, must_exist: bool = True) -> list[str]:
        """Expand a list of names; optional ones (`--CAT?`) absent from the dataset are dropped."""
        dataset = dataset or self.dataset
        out = []
        for variable in _as_list(variables):
            name = self.expand(variable, dataset)
            if dataset is not None and name not in dataset.frame.columns:
                if variable.endswith("?") or not must_exist:
                    continue
                raise NotApplicable(f"{dataset.name} has no variable {name}")
            out.append(name)
        return out

    def has(self, variable: str, dataset: Dataset | None = None) -> bool:
        dataset = dataset or self.dataset
        return dataset is not None and self.expand(variable, dataset) in dataset.frame.columns

    def column(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        dataset = dataset or self.dataset
        name = self.expand(variable, dataset)
        found = self.cache.column(dataset.frame, name) if dataset is not None else None
        if found is not None:
            return found
        if dataset is not None and name in self.absent:
            return pd.Series("", index=dataset.frame.index, dtype="str")
        where = dataset.name if dataset is not None else "the study"
        raise NotApplicable(f"{where} has no variable {name}")

    # --- cached views ----------------------------------------------------------------------------------

    def _cached(self, kind: str, variable: str, dataset: Dataset | None, make: Callable[[pd.Series], Any]):
        dataset = dataset or self.dataset
        series = self.column(variable, dataset)
        key = (id(dataset.frame), self.expand(variable, dataset), kind)
        return self.cache.get(key, lambda: make(series))

    def null(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """True where the value is missing: NaN for numbers, "" (or only blanks) for text."""
        return self._cached("null", variable, dataset, null_mask)

    def present(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """`~null`, made once per column."""
        return self._cached("present", variable, dataset, lambda s: ~self.null(variable, dataset))

    def byte_lengths(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """The UTF-8 byte length of each value's text (0 for missing), made once per column."""
        return self._cached("bytes", variable, dataset, lambda s: byte_lengths(self.text(variable, dataset)))

    def text(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """Values as text ("" for missing); numbers print without a trailing .0 when whole."""
        return self._cached("text", variable, dataset, as_text)

    def numeric(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """Values as float64; text that does not parse as a number is NaN (each distinct text parsed once)."""
        if pd.api.types.is_numeric_dtype(self.column(variable, dataset).dtype):
            return self._cached("numeric", variable, dataset, as_numeric)
        return self.per_value(variable, "numeric", as_numeric, dataset)

    def iso(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """ISO 8601 text: text columns as they are, SAS numeric dates/datetimes converted."""
        dataset_ = dataset or self.dataset
        name = self.expand(variable, dataset_)
        return self._cached("iso", variable, dataset, lambda s: as_iso(s, name))

    def dates(self, variable: str, dataset: Dataset | None = None) -> pd.Series:
        """datetime64 of the date part where it is a complete, valid date; NaT elsewhere."""
        return self.per_value(variable, "dates", complete_date, dataset, iso=True)

    def per_value(self, variable: str, kind: str, compute: Callable[[pd.Series], pd.Series],
                  dataset: Dataset | None = None, *, iso: bool = False, keep: bool = True) -> pd.Series:
        """`compute` applied to each distinct value of the column once, spread back to every record.

        SDTM columns repeat a few thousand values over millions of records (dates, codes, results), so
        regular expressions and date parsing run on the distinct values only. Cached per column and kind
        (unless `keep` is false: a view only one rule asks for is not worth its memory).
        """
        dataset = dataset or self.dataset
        name = self.expand(variable, dataset)
        source = self.iso(variable, dataset) if iso else self.text(variable, dataset)

        def make() -> pd.Series:
            if len(source) < PER_VALUE_MIN_RECORDS:  # a short column: the distinct values would cost more
                return pd.Series(compute(source).to_numpy(), index=source.index)
            codes, uniques = self.factorized(variable, dataset, iso=iso)
            result = compute(pd.Series(uniques, dtype=source.dtype)).to_numpy()
            return pd.Series(result[codes], index=source.index)

        return self.cache.get((id(dataset.frame), name, kind, iso), make) if keep else make()

    def factorized(self, variable: str, dataset: Dataset | None = None, *,
                   iso: bool = False) -> tuple[np.ndarray, Any]:
        """`pd.factorize` of the column's text (or ISO text), made once: (codes per record, distinct values)."""
        dataset = dataset or self.dataset
        source = self.iso(variable, dataset) if iso else self.text(variable, dataset)
        key = (id(dataset.frame), self.expand(variable, dataset), "factorized", iso)
        return self.cache.get(key, lambda: _compact(*pd.factorize(source)))

    def outside(self, variable: str, allowed: frozenset | set, dataset: Dataset | None = None) -> pd.Series:
        """True where the value's text is not one of `allowed` (each distinct value looked up once)."""
        dataset = dataset or self.dataset
        codes, uniques = self.factorized(variable, dataset)
        out = np.fromiter((value not in allowed for value in uniques), dtype=bool, count=len(uniques))
        return pd.Series(np.append(out, False)[codes], index=dataset.frame.index)  # code -1 (none): False

    # --- sub-conditions --------------------------------------------------------------------------------

    def evaluate(self, check: dict, dataset: Dataset | None = None) -> pd.Series:
        """Evaluate a check subtree (e.g. a `where`) on this dataset or another one."""
        if self._evaluate is None:
            raise RuntimeError("no evaluator bound to this context")
        return self._evaluate(check, self.on(dataset) if dataset is not None else self)


# --- column conversions (pure; the context caches them) -----------------------------------------------------

def null_mask(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.isna()
    if _arrow_backed(series):  # the same test as below in four Arrow calls instead of a dozen pandas steps
        array = pa.chunked_array(series.array.__arrow_array__())
        blank = pc.and_(pc.starts_with(array, " "), pc.utf8_is_space(array))  # is_space: strip() gives ""
        missing = pc.or_kleene(pc.or_kleene(pc.is_null(array), pc.equal(array, "")), blank)
        return pd.Series(pc.fill_null(missing, True).to_numpy(zero_copy_only=False), index=series.index,
                         name=series.name)
    mask = (series.isna() | (series == "")).fillna(True).astype(bool)
    candidates = series.str.startswith(" ").fillna(False).astype(bool)
    if candidates.any():  # all-blank text is missing too; rare, so only checked where a value starts blank
        mask = mask | (candidates & (series.str.strip() == "").fillna(False))
    return mask.astype(bool)


def _compact(codes: np.ndarray, uniques: Any) -> tuple[np.ndarray, Any]:
    """Codes in the smallest signed integer type that holds them (a million records of a column with a few
    hundred values: 2 MB, not 8)."""
    for dtype in (np.int8, np.int16, np.int32):
        if len(uniques) < np.iinfo(dtype).max:
            return codes.astype(dtype), uniques
    return codes, uniques


def _arrow_backed(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def arrow_text(text: pd.Series) -> pa.ChunkedArray:
    """The text column as an Arrow array, without a copy when pandas already keeps it in Arrow."""
    if hasattr(text.array, "__arrow_array__"):
        try:
            return pa.chunked_array(text.array.__arrow_array__())
        except (TypeError, pa.ArrowInvalid):
            pass
    return pa.chunked_array([pa.array(text.astype("str"), type=pa.large_string(), from_pandas=True)])


def byte_lengths(text: pd.Series) -> pd.Series:
    """UTF-8 byte length of each value (0 for missing), computed by Arrow, in the narrowest unsigned integers
    that hold the longest: a view kept for every text column (XPT text is at most 200 bytes, so one byte a
    record instead of four; 5,000 subjects: 380 MB less)."""
    lengths = pc.fill_null(pc.binary_length(arrow_text(text)), 0).to_numpy(zero_copy_only=False)
    longest = int(lengths.max()) if len(lengths) else 0
    narrow = np.uint8 if longest <= 0xFF else np.uint16 if longest <= 0xFFFF else lengths.dtype
    return pd.Series(lengths.astype(narrow, copy=False), index=text.index)


def as_text(series: pd.Series) -> pd.Series:
    """Numbers as text ("3", "2.5", "" for missing), converted once per distinct value."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        codes, uniques = pd.factorize(series.to_numpy(dtype="float64", na_value=np.nan))
        shown = np.array([_number_text(v) for v in uniques] + [""], dtype=object)  # distinct values only
        return pd.Series(shown[codes], index=series.index, dtype="str")
    return series.fillna("") if series.hasnans else series


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def as_numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    return pd.to_numeric(series.where(series != ""), errors="coerce").astype("float64")


def as_iso(series: pd.Series, name: str | None = None) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return series.fillna("") if series.hasnans else series
    seconds = bool(name) and name.endswith("DTM")  # ADaM *DTM are SAS datetimes; *DT are SAS dates
    stamps = from_sas(series, "datetime" if seconds else "date")
    fmt = "%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%d"
    return stamps.dt.strftime(fmt).fillna("").astype("str")


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
