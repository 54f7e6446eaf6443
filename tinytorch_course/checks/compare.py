"""Describe values compactly and say, in one sentence, how a result differs from what was expected.

Everything here works on NumPy arrays (a Tensor is read through `.data`), never on the learner's
Tensor operations: a check must not depend on the code it is checking.
"""

from __future__ import annotations

import numbers

import numpy as np

from tinytorch.tensor import Tensor

from .cases import Raises

MAX_SHOWN = 12  # elements shown before an array is abbreviated


def _is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def as_array(value):
    """The NumPy array behind a Tensor / array / number, or None if `value` is not array-like."""
    if _is_tensor(value):
        return np.asarray(value.data)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (numbers.Number, np.generic, bool)):
        return np.asarray(value)
    return None


def _values(arr: np.ndarray) -> str:
    text = np.array2string(
        arr, precision=4, separator=", ", threshold=MAX_SHOWN, edgeitems=3, max_line_width=10_000, suppress_small=True
    )
    return " ".join(text.split())


def describe(value) -> str:
    """One line: `Tensor (2, 3) float32 [[0, 1, 2], [3, 4, 5]]`, `array (3,) int64 [...]`, `2.5`."""
    if _is_tensor(value):
        arr = np.asarray(value.data)
        grad = ", requires_grad" if getattr(value, "requires_grad", False) else ""
        return f"Tensor {tuple(arr.shape)} {arr.dtype}{grad} {_values(arr)}"
    if isinstance(value, np.ndarray):
        return f"array {tuple(value.shape)} {value.dtype} {_values(value)}"
    if isinstance(value, (tuple, list)) and value and any(as_array(v) is not None and np.ndim(v) for v in value):
        inner = "; ".join(describe(v) for v in value)
        return f"{type(value).__name__} of {len(value)}: {inner}"
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def mismatch(got, expected, *, returns=None, dtype=None, rtol=1e-5, atol=1e-6, path="") -> str | None:
    """None if `got` matches `expected`, else why not (shape first, then NaN, then values)."""
    where = f"{path}: " if path else ""
    if got is None and expected is not None:
        return f"{where}your code returned None; is a `return` missing?"
    if returns is not None and not isinstance(got, returns):
        hint = ""
        if returns.__name__ == "Tensor" and isinstance(got, (np.ndarray, np.generic, numbers.Number)):
            hint = " (wrap the NumPy result: return Tensor._op(data, parents, backward, name))"
        return f"{where}expected a {returns.__name__}, got a {type(got).__name__}{hint}"
    if isinstance(expected, (tuple, list)) and not (as_array(expected) is not None and np.ndim(expected)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{where}expected a {type(expected).__name__} of {len(expected)} items, got {describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=False)):
            problem = mismatch(g, e, rtol=rtol, atol=atol, path=f"{path}[{i}]")
            if problem:
                return problem
        return None
    exp = as_array(expected)
    if exp is None:  # not array-like: plain equality (strings, shapes, dicts, ...)
        return None if got == expected else f"{where}expected {expected!r}, got {got!r}"
    arr = as_array(got)
    if arr is None:
        try:
            arr = np.asarray(got)
        except Exception:
            arr = None
        if arr is None or arr.dtype == object:
            return f"{where}expected an array-like result, got {type(got).__name__}: {describe(got)}"
    if arr.shape != exp.shape:
        return f"{where}shape {tuple(arr.shape)}, expected shape {tuple(exp.shape)}"
    if dtype is not None and arr.dtype != np.dtype(dtype):
        return f"{where}dtype {arr.dtype}, expected {np.dtype(dtype)}"
    if exp.dtype.kind in "biuf" and arr.dtype.kind not in "biuf":
        return f"{where}dtype {arr.dtype}, expected a numeric dtype like {exp.dtype}"
    if arr.dtype.kind in "fc" or exp.dtype.kind in "fc":
        got_f, exp_f = arr.astype(np.float64), exp.astype(np.float64)
        nan = np.isnan(got_f) & ~np.isnan(exp_f)
        if nan.any():
            idx = _first(nan)
            return (
                f"{where}NaN at index {idx} (expected {exp_f[idx]:.6g}); a division by zero, or log/sqrt of a negative?"
            )
        bad = ~np.isclose(got_f, exp_f, rtol=rtol, atol=atol, equal_nan=True)
    else:
        bad = arr != exp
    if np.any(bad):
        idx = _first(bad)
        count = int(np.sum(bad))
        return (
            f"{where}value at index {idx} is {_scalar(arr, idx)}, expected {_scalar(exp, idx)} "
            f"({count} of {exp.size} element{'s' if exp.size != 1 else ''} differ)"
        )
    return None


def _first(mask) -> tuple:
    mask = np.asarray(mask)
    if mask.ndim == 0:
        return ()
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _scalar(arr, idx) -> str:
    value = np.asarray(arr)[idx] if idx else np.asarray(arr).item()
    return (
        f"{value:.6g}"
        if isinstance(value, (float, np.floating))
        else repr(value.item() if hasattr(value, "item") else value)
    )


def raises_mismatch(error: BaseException | None, expected: Raises) -> str | None:
    """None if `error` is the expected exception naming everything it must name."""
    if error is None:
        return None if expected is None else f"expected {expected.describe()}, but no error was raised"
    if not isinstance(error, expected.error):
        return f"expected {expected.describe()}, got {type(error).__name__}: {error}"
    message = str(error)
    missing = [m for m in expected.mentions if m not in message]
    if missing:
        return f"the {type(error).__name__} message does not name {' and '.join(missing)}: {message!r}"
    return None
