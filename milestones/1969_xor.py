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
# # 1969 — The XOR problem (Minsky & Papert)
#
# In *Perceptrons* (1969) Marvin Minsky and Seymour Papert proved that a single-layer perceptron
# cannot compute XOR: output 1 when exactly one input is 1. The proof is four lines. A single
# layer predicts 1 when $w_1x_1 + w_2x_2 + b > 0$. XOR asks for
#
# | input | want | so |
# |---|---|---|
# | (0,0) | 0 | $b \le 0$ |
# | (0,1) | 1 | $w_2 + b > 0$ |
# | (1,0) | 1 | $w_1 + b > 0$ |
# | (1,1) | 0 | $w_1 + w_2 + b \le 0$ |
#
# Adding the middle rows gives $w_1 + w_2 + 2b > 0$, i.e. $w_1 + w_2 + b > -b \ge 0$, which
# contradicts the last row. No weights exist. The book's shadow over neural networks lasted
# until backpropagation made *hidden layers* trainable (1986). Here we show both halves: one
# layer stays stuck, two layers trained with backprop get every point right.
#
# Uses lessons 01–06 (Tensor, activations, layers, losses, autograd, optimizers).

# %%
import time

import numpy as np

import tinytorch as tt
from tinytorch import datasets, nn, optim, viz
from tinytorch_course import milestone

try:
    import matplotlib  # noqa: F401  (in the browser, this line makes the kernel load matplotlib for the plots)
except ImportError:
    pass

MODE = milestone.start("1969_xor")  # "quick" for tests, "browser" in the page, "full" natively;
# uses your own lesson code where its checks passed


# %%
def train(model, X, y, steps, lr):
    """Full-batch Adam on binary cross-entropy with logits; returns the loss per step."""
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    X, target = tt.Tensor(X), tt.Tensor(y.reshape(-1, 1).astype(np.float32))
    losses = []
    for step in range(1, steps + 1):
        loss = loss_fn(model(X), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % max(steps // 5, 1) == 0:
            print(f"  step {step:5d}  loss {losses[-1]:.4f}", flush=True)
    return losses


def accuracy(model, X, y) -> float:
    with tt.no_grad():
        return float(((model(tt.Tensor(X)).data[:, 0] > 0).astype(np.int64) == y).mean())


def perceptron_rule_mistakes(X, y, epochs=100):
    """Rosenblatt's rule on XOR: the number of mistakes in the last epoch never reaches 0."""
    w, b = np.zeros(2), 0.0
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(X, y, strict=True):
            err = yi - int(xi @ w + b > 0)
            if err:
                w, b, mistakes = w + err * xi, b + err, mistakes + 1
    return mistakes


# %%
def run(mode: str = MODE, plots: bool = True) -> dict:
    steps = {"quick": 300, "browser": 600, "full": 2000}[mode]
    t0 = time.perf_counter()
    X, y = datasets.xor()

    print("Rosenblatt's rule, 100 epochs over the 4 points:")
    last_epoch_mistakes = perceptron_rule_mistakes(X, y)
    print(f"  mistakes in the last epoch: {last_epoch_mistakes} (never 0: it cycles forever)")

    tt.manual_seed(1969)
    single = nn.Linear(2, 1)
    print("One layer (Linear 2->1), trained with backprop:")
    train(single, X, y, steps, lr=0.05)
    acc_single = accuracy(single, X, y)
    print(f"  accuracy {acc_single:.0%}  (a line can get at most 3 of 4 points right)")

    tt.manual_seed(1969)
    two_layer = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    print("Two layers (Linear 2->8, Tanh, Linear 8->1), trained with backprop:")
    losses = train(two_layer, X, y, steps, lr=0.05)
    acc_two = accuracy(two_layer, X, y)
    print(f"  accuracy {acc_two:.0%}")

    # the same networks on a noisy, 200-point version of XOR, to see the boundary they learn
    Xb, yb = datasets.xor_blobs(n=200, seed=1969)
    tt.manual_seed(0)
    blob_net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    train(blob_net, Xb, yb, steps, lr=0.05)
    acc_blobs = accuracy(blob_net, Xb, yb)
    print(f"noisy XOR (200 points): two-layer training accuracy {acc_blobs:.1%}")
    if plots:

        def predict(points):
            with tt.no_grad():
                return (blob_net(tt.Tensor(points)).data[:, 0] > 0).astype(int)

        viz.decision_boundary(
            predict,
            Xb,
            yb,
            title="Two layers bend the boundary (XOR)",
            save=milestone.figure_path("1969_xor_boundary.png", mode),
        )
        viz.loss_curve({"two_layer_loss": losses}, title="XOR training loss")
    return {
        "perceptron_last_epoch_mistakes": last_epoch_mistakes,
        "single_layer_accuracy": acc_single,
        "two_layer_accuracy": acc_two,
        "noisy_xor_accuracy": acc_blobs,
        "seconds": time.perf_counter() - t0,
    }


# %%
if __name__ == "__main__":
    results = run()
    checks = {
        "one layer cannot solve XOR (accuracy <= 75 %)": results["single_layer_accuracy"] <= 0.75,
        "two layers trained with backprop solve it (100 %)": results["two_layer_accuracy"] == 1.0,
    }
    milestone.finish("1969_xor", checks)
    assert all(checks.values()), results
