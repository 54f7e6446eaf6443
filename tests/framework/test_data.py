"""Module 08: Dataset, TensorDataset, DataLoader."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.data import DataLoader, Dataset, TensorDataset

N = 10


def xy(n=N):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)  # row i is [3i, 3i+1, 3i+2]
    y = np.arange(n, dtype=np.int64)
    return X, y


def epoch_labels(loader):
    return np.concatenate([y.data for _, y in loader])


def test_batch_shapes_and_dtypes():
    loader = DataLoader(TensorDataset(*xy()), batch_size=4)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [tuple(y.shape) for _, y in batches] == [(4,), (4,), (2,)]
    x, y = batches[0]
    assert isinstance(x, tt.Tensor) and isinstance(y, tt.Tensor)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert not x.requires_grad


def test_len_with_and_without_drop_last():
    ds = TensorDataset(*xy())
    assert len(DataLoader(ds, batch_size=4)) == 3 == len(list(DataLoader(ds, batch_size=4)))
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2 == len(list(DataLoader(ds, 4, drop_last=True)))
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(ds, batch_size=20)) == 1 and len(DataLoader(ds, batch_size=20, drop_last=True)) == 0
    assert len(DataLoader(ds)) == N


def test_unshuffled_order_and_rows_stay_paired():
    for x, y in DataLoader(TensorDataset(*xy()), batch_size=3, shuffle=True, seed=3):
        np.testing.assert_array_equal(x.data[:, 0], 3 * y.data)  # inputs and targets travel together
    np.testing.assert_array_equal(epoch_labels(DataLoader(TensorDataset(*xy()), batch_size=3)), np.arange(N))


def test_every_sample_exactly_once_per_shuffled_epoch():
    loader = DataLoader(TensorDataset(*xy(37)), batch_size=8, shuffle=True, seed=1)
    orders = [epoch_labels(loader) for _ in range(3)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(37))
        assert not np.array_equal(order, np.arange(37))  # actually shuffled
    assert not np.array_equal(orders[0], orders[1])  # a new order each epoch
    assert not np.array_equal(orders[1], orders[2])


def test_drop_last_leaves_out_only_the_short_batch():
    loader = DataLoader(TensorDataset(*xy(10)), batch_size=4, shuffle=True, seed=0, drop_last=True)
    labels = epoch_labels(loader)
    assert len(labels) == 8 and len(set(labels.tolist())) == 8


def test_seed_reproduces_the_sequence_of_epochs():
    a = DataLoader(TensorDataset(*xy(50)), batch_size=7, shuffle=True, seed=42)
    b = DataLoader(TensorDataset(*xy(50)), batch_size=7, shuffle=True, seed=42)
    c = DataLoader(TensorDataset(*xy(50)), batch_size=7, shuffle=True, seed=43)
    for _ in range(3):
        la, lb, lc = epoch_labels(a), epoch_labels(b), epoch_labels(c)
        np.testing.assert_array_equal(la, lb)
        assert not np.array_equal(la, lc)


def test_set_epoch_resumes_the_order():
    a = DataLoader(TensorDataset(*xy(30)), batch_size=4, shuffle=True, seed=5)
    third = [epoch_labels(a) for _ in range(3)][2]
    b = DataLoader(TensorDataset(*xy(30)), batch_size=4, shuffle=True, seed=5)
    b.set_epoch(2)
    np.testing.assert_array_equal(epoch_labels(b), third)


def test_without_seed_the_global_seed_decides():
    def first_epoch():
        return epoch_labels(DataLoader(TensorDataset(*xy(30)), batch_size=4, shuffle=True))

    tt.manual_seed(7)
    a = first_epoch()
    tt.manual_seed(7)
    np.testing.assert_array_equal(first_epoch(), a)
    assert not np.array_equal(first_epoch(), a)  # generator moved on: another seed


def test_batches_do_not_alias_the_dataset():
    X, y = xy()
    ds = TensorDataset(X, y)
    for shuffle in (False, True):
        x, _ = next(iter(DataLoader(ds, batch_size=4, shuffle=shuffle, seed=0)))
        x.data[...] = -1
        assert (ds.tensors[0].data >= 0).all()


class Squares(Dataset):
    """A map-style dataset read sample by sample: (array of shape (2,), python int)."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


def test_general_dataset_is_stacked():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert [tuple(x.shape) for x, _ in batches] == [(3, 2), (3, 2), (1, 2)]
    x, y = batches[1]
    np.testing.assert_array_equal(x.data, [[3, 9], [4, 16], [5, 25]])
    np.testing.assert_array_equal(y.data, [3, 4, 5])
    assert np.issubdtype(y.dtype, np.integer)


def test_general_and_fast_paths_agree():
    class Plain(Dataset):
        def __init__(self, X, y):
            self.X, self.y = X, y

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return self.X[i], self.y[i]

    X, y = xy(23)
    fast = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, seed=9)
    slow = DataLoader(Plain(X, y), batch_size=5, shuffle=True, seed=9)
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xf.data, xs.data)
        np.testing.assert_array_equal(yf.data, ys.data)


def test_tensor_dataset_indexing():
    ds = TensorDataset(*xy())
    assert len(ds) == N
    x, y = ds[2]
    np.testing.assert_array_equal(x.data, [6, 7, 8])
    assert y.item() == 2


def test_errors_name_the_problem():
    X, y = xy()
    with pytest.raises(ValueError, match=r"\(10, 3\).*\(9,\)"):
        TensorDataset(X, y[:9])
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(X, y), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(42)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())

    class Ragged(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros(i + 1), 0

    with pytest.raises(ValueError, match="different shapes"):
        list(DataLoader(Ragged(), batch_size=2))
