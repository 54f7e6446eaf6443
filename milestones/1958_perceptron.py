# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python (Pyodide)
#     language: python
#     name: python
# ---

# %% [markdown]
# # 1958 — Rosenblatt's Perceptron
#
# In 1958 Frank Rosenblatt described the *perceptron*: a weighted sum of inputs followed by a
# threshold, with a learning rule so simple it fits on one line — when the machine is wrong,
# nudge the weights toward the right answer:
#
# $$ w \leftarrow w + \eta\,(y - \hat y)\,x, \qquad b \leftarrow b + \eta\,(y - \hat y) $$
#
# The *perceptron convergence theorem* (Novikoff, 1962) promises that if a straight line (a
# hyperplane) separates the two classes, this rule finds one after a finite number of mistakes.
# Here we watch it happen on 2-D points, then on real 8×8 handwritten digits (zeros vs ones).
#
# Uses lesson 01 (Tensor). No gradients, no autograd: just the rule.

# %%
import time

import numpy as np

import tinytorch as tt
from tinytorch import datasets, viz
from tinytorch_course import milestone

try:
    import matplotlib  # noqa: F401  (in the browser, this line makes the kernel load matplotlib for the plots)
except ImportError:
    pass

MODE = milestone.start("1958_perceptron")  # "quick" for tests, "browser" in the page, "full" natively;
# uses your own lesson code where its checks passed


# %%
class Perceptron:
    """One neuron with a hard threshold: predict 1 if w·x + b > 0 else 0."""

    def __init__(self, n_features: int):
        self.w = tt.zeros(n_features)
        self.b = tt.zeros(1)

    def predict(self, X) -> np.ndarray:
        X = X if isinstance(X, tt.Tensor) else tt.Tensor(X)
        return ((X @ self.w + self.b).data > 0).astype(np.int64)

    def fit(self, X, y, lr=1.0, max_epochs=100, log=True):
        """Rosenblatt's rule, one example at a time; stops after an epoch with no mistakes."""
        X, y = tt.Tensor(X), np.asarray(y)
        mistakes_per_epoch = []
        for epoch in range(1, max_epochs + 1):
            mistakes = 0
            for i in range(len(y)):
                error = y[i] - self.predict(X[i : i + 1])[0]  # -1, 0 or +1
                if error:
                    self.w = self.w + lr * error * X[i]
                    self.b = self.b + lr * error
                    mistakes += 1
            mistakes_per_epoch.append(mistakes)
            if log:
                print(f"  epoch {epoch:3d}: {mistakes:4d} mistakes", flush=True)
            if mistakes == 0:
                break
        return mistakes_per_epoch


# %% [markdown]
# ## 1. Points in the plane
# Two classes that a straight line can separate. The perceptron keeps adjusting its line until
# every training point is on the right side.


# %%
def run(mode: str = MODE, plots: bool = True) -> dict:
    n = {"quick": 200, "browser": 400, "full": 1000}[mode]
    X, y = datasets.linearly_separable(n=n, seed=1958, margin=0.02)
    split = int(0.8 * n)
    p2 = Perceptron(2)
    t0 = time.perf_counter()
    history = p2.fit(X[:split], y[:split])
    acc_2d = float((p2.predict(X[split:]) == y[split:]).mean())
    print(f"2-D points: converged after {len(history)} epochs, {sum(history)} updates; test accuracy {acc_2d:.1%}")
    if plots:
        viz.decision_boundary(
            p2.predict,
            X,
            y,
            title="Perceptron decision boundary (1958)",
            save=milestone.figure_path("1958_boundary.png", mode),
        )

    # ## 2. Real handwritten digits: zeros vs ones
    Xtr, ytr, Xte, yte = datasets.digits()
    keep_tr, keep_te = ytr < 2, yte < 2
    p64 = Perceptron(64)
    hist64 = p64.fit(Xtr[keep_tr], ytr[keep_tr], max_epochs=50)
    acc_digits = float((p64.predict(Xte[keep_te]) == yte[keep_te]).mean())
    print(
        f"digits 0 vs 1: converged={hist64[-1] == 0} after {len(hist64)} epochs; "
        f"test accuracy {acc_digits:.1%} on {int(keep_te.sum())} unseen images"
    )
    seconds = time.perf_counter() - t0
    results = {
        "converged_2d": history[-1] == 0,
        "test_accuracy_2d": acc_2d,
        "converged_digits": hist64[-1] == 0,
        "test_accuracy_digits": acc_digits,
        "seconds": seconds,
    }
    if plots and mode != "quick":
        viz.image_grid(
            p64.w.data.reshape(1, 8, 8), ["weights"], ncols=1, title="What the perceptron looks for (+ = 'one')"
        )
    return results


# %%
if __name__ == "__main__":
    results = run()
    checks = {
        "2-D points: the rule converges, test accuracy >= 95 %": results["converged_2d"]
        and results["test_accuracy_2d"] >= 0.95,
        "digits 0 vs 1: the rule converges, test accuracy >= 95 %": results["converged_digits"]
        and results["test_accuracy_digits"] >= 0.95,
    }
    milestone.finish("1958_perceptron", checks)
    assert all(checks.values()), results

# %% [markdown]
# ## What it could not do
# The rule only ever draws *one* straight line. In 1969 Minsky and Papert showed how little that
# is: no line separates XOR. That is the next milestone.
