"""One rule for `axis` (NumPy's name) and `dim` (torch's): either one, never both, and the same
default whichever is omitted. concat/stack/softmax used to let `dim` silently win over `axis`."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn

X = tt.tensor(np.arange(6.0).reshape(2, 3))

BOTH = {
    "sum": lambda: X.sum(axis=0, dim=1),
    "mean": lambda: X.mean(axis=0, dim=1),
    "concat": lambda: tt.concat([X, X], axis=0, dim=1),
    "cat": lambda: tt.cat([X, X], 0, dim=1),
    "stack": lambda: tt.stack([X, X], axis=0, dim=1),
    "softmax": lambda: F.softmax(X, axis=0, dim=1),
    "log_softmax": lambda: F.log_softmax(X, 0, dim=1),
    "Softmax": lambda: nn.Softmax(axis=0, dim=1),
    "LogSoftmax": lambda: nn.LogSoftmax(0, dim=1),
}


@pytest.mark.parametrize("name", list(BOTH))
def test_axis_and_dim_together_raise(name):
    with pytest.raises(TypeError, match="either axis= or dim=, not both"):
        BOTH[name]()


def test_either_name_or_the_default_gives_the_same_result():
    for fn, default in ((tt.concat, 0), (tt.stack, 0)):
        want = fn([X, X], axis=default).data
        np.testing.assert_array_equal(fn([X, X]).data, want)
        np.testing.assert_array_equal(fn([X, X], dim=default).data, want)
        np.testing.assert_array_equal(fn([X, X], dim=1).data, fn([X, X], axis=1).data)
    for fn in (F.softmax, F.log_softmax):
        np.testing.assert_allclose(fn(X).data, fn(X, axis=-1).data)
        np.testing.assert_allclose(fn(X, dim=0).data, fn(X, axis=0).data)
    assert nn.Softmax().axis == -1 and nn.Softmax(dim=0).axis == 0 and nn.Softmax(1).axis == 1
