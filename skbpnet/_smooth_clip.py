"""SmoothClipScaler: RealMLP's robust scaling with a smooth clip, for numbers and dates.

Each column is centred on its median and divided by its interquartile range
(half its range where the quartiles agree, 1 where the column is constant),
then squashed by ``x / sqrt(1 + (x / 3) ** 2)``: the bulk stays nearly linear,
and an extreme value is pulled towards ±3 instead of dominating the first
layer's inputs. A missing value becomes 0, the median. With ``dates=True``,
each column is first parsed as dates and turned into :data:`DATE_PARTS`. This is
the preprocessing of Holzmüller et al. (NeurIPS 2024, "Better by default:
strong pre-tuned MLPs and boosted trees on tabular data"), ``pytabkit``'s
``RobustScaleSmoothClipTransform``.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["DATE_PARTS", "SmoothClipScaler", "smooth_clip"]

DATE_PARTS = ("days", "year", "month", "day", "weekday", "hour")


def smooth_clip(x):
    """``x / sqrt(1 + (x / 3) ** 2)``: nearly the identity near 0, bounded by ±3.

    Parameters
    ----------
    x : ndarray
        Robust-scaled values.

    Returns
    -------
    ndarray
        Of the same shape, in (-3, 3).

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.tabular import smooth_clip
    >>> np.round(smooth_clip(np.array([0.0, 1.0, 1e6])), 3)
    array([0.   , 0.949, 3.   ])
    """
    return x / np.sqrt(1.0 + (x / 3.0) ** 2)


def date_parts(X):
    """Each column of ``X`` parsed as dates, as :data:`DATE_PARTS` (NaN where not a date).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_columns)
        Dates, as datetimes or as text.

    Returns
    -------
    ndarray of shape (n_samples, 6 * n_columns)
        For each column, days since 1970-01-01, year, month, day of the month,
        weekday (Monday 0) and hour of the day (with minutes as a fraction).

    Examples
    --------
    >>> from skbpnet.tabular import date_parts
    >>> date_parts([["2024-03-01 12:30"], ["not a date"]])[0].tolist()
    [19783.520833333332, 2024.0, 3.0, 1.0, 4.0, 12.5]
    """
    import pandas as pd

    frame = pd.DataFrame(X) if not hasattr(X, "iloc") else X
    out = np.full((frame.shape[0], len(DATE_PARTS) * frame.shape[1]), np.nan)
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if col.dtype.kind != "M":
            col = pd.to_datetime(col.astype(object).where(col.notna(), None), errors="coerce",
                                 format="mixed", utc=True)
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = (col - pd.Timestamp("1970-01-01")).dt.total_seconds()
        parts = (seconds / 86400.0, col.dt.year, col.dt.month, col.dt.day, col.dt.day_of_week,
                 col.dt.hour + col.dt.minute / 60.0)
        for k, part in enumerate(parts):
            out[:, len(DATE_PARTS) * j + k] = part.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


class SmoothClipScaler(TransformerMixin, BaseEstimator):
    """Robust scaling then a smooth clip to ±3 (RealMLP's); missing values become 0.

    Parameters
    ----------
    dates : bool, default=False
        Parse each column as dates and scale its :data:`DATE_PARTS` (6 outputs
        a column) instead of the column itself.

    Attributes
    ----------
    center_ : ndarray of shape (n_outputs,)
        The median of each output column.
    scale_ : ndarray of shape (n_outputs,)
        What each centred column is divided by: the interquartile range, else
        half the range, else 1.
    n_features_in_ : int
        The number of input columns.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Their names, when fitted on a DataFrame with string column names.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : the same centring and scaling, without the clip.

    Notes
    -----
    ``x -> (x - median) / scale``, then ``x -> x / sqrt(1 + (x / 3)^2)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbpnet.tabular import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0], [np.nan]])
    >>> np.round(SmoothClipScaler().fit_transform(X)[:, 0], 2)
    array([-0.95, -0.49,  0.  ,  0.49,  3.  ,  0.  ])
    """

    _parameter_constraints = {"dates": ["boolean"]}

    def __init__(self, dates=False):
        self.dates = dates

    def _values(self, X, reset):
        """The numbers to scale: X checked as scikit-learn does, or its date parts."""
        from sklearn.utils.validation import (_check_feature_names, _check_n_features,
                                              validate_data)

        if not self.dates:
            return validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                                 reset=reset)
        _check_feature_names(self, X, reset=reset)
        _check_n_features(self, X, reset=reset)
        return date_parts(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = self.dates
        return tags

    def fit(self, X, y=None):
        """Learn each output column's median and scale.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns.
        y : None
            Ignored.

        Returns
        -------
        self : SmoothClipScaler
        """
        self._validate_params()
        values = self._values(X, reset=True)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
            q25, center, q75 = np.nanquantile(values, [0.25, 0.5, 0.75], axis=0)
            scale = q75 - q25
            half = (np.nanmax(values, axis=0) - np.nanmin(values, axis=0)) / 2.0
        scale = np.where(scale > 0, scale, half)
        self.scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        self.center_ = np.where(np.isfinite(center), center, 0.0)
        return self

    def transform(self, X):
        """Scale, clip smoothly, and put 0 where a value is missing.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns the scaler was fitted on.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
            float64 in (-3, 3).
        """
        check_is_fitted(self)
        values = self._values(X, reset=False)
        out = smooth_clip((values - self.center_) / self.scale_)
        out[~np.isfinite(out)] = 0.0
        return out

    def get_feature_names_out(self, input_features=None):
        """``col`` for each column, ``col_year`` (and the other date parts) with ``dates``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Defaults to ``feature_names_in_``, else ``x0``, ``x1``, ...

        Returns
        -------
        ndarray of str
        """
        from sklearn.utils.validation import _check_feature_names_in

        names = _check_feature_names_in(self, input_features)
        if not self.dates:
            return names
        return np.array([f"{n}_{p}" for n in names for p in DATE_PARTS], dtype=object)

