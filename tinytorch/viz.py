"""Plots a person would rather look at than read: loss curves, decision boundaries, attention maps.

matplotlib is optional: every function returns the Figure, or None with a one-line note when
matplotlib is not installed, so lessons and milestones run the same everywhere. In a notebook the
figure shows inline; in a terminal run, pass `save=` to write a PNG.
"""

from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib  # here, not at the top: it costs seconds in the browser and only drawing needs it

        if not _in_notebook():
            matplotlib.use("Agg")  # terminals and CI have no display
        import matplotlib.pyplot as plt

        return plt
    except ImportError:
        print("(matplotlib is not installed: plot skipped)")
        return None


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # optional (absent in plain scripts); imported only when asked

        shell = get_ipython()
        return shell is not None and "Terminal" not in type(shell).__name__
    except ImportError:
        return False


def _finish(plt, fig, save):
    if save:
        fig.savefig(save, dpi=100, bbox_inches="tight")
    if _in_notebook():
        plt.show()
    else:
        plt.close(fig)
    return fig


def loss_curve(history: dict, keys=None, title="Training", save=None):
    """Plot per-epoch (or per-step) series from a history dict, e.g. {"train_loss": [...], "val_accuracy": [...]}."""
    plt = _pyplot()
    if plt is None:
        return None
    keys = keys or [k for k, v in history.items() if isinstance(v, (list, tuple)) and v]
    losses = [k for k in keys if "loss" in k]
    others = [k for k in keys if k not in losses]
    fig, axes = plt.subplots(1, 2 if others else 1, figsize=(9 if others else 5, 3.2))
    axes = np.atleast_1d(axes)
    for k in losses:
        axes[0].plot(np.arange(1, len(history[k]) + 1), history[k], label=k)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    axes[0].set_title(title)
    for k in others:
        axes[1].plot(np.arange(1, len(history[k]) + 1), history[k], label=k)
    if others:
        axes[1].set_xlabel("epoch")
        axes[1].legend()
    fig.tight_layout()
    return _finish(plt, fig, save)


def decision_boundary(predict, X, y, title="Decision boundary", resolution=200, save=None):
    """Colour the plane by `predict(points (M, 2) ndarray) -> labels (M,)` and scatter the data on top."""
    plt = _pyplot()
    if plt is None:
        return None
    X = np.asarray(X)
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(0) - pad, X.max(0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    zz = np.asarray(predict(grid)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.contourf(gx, gy, zz, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=np.asarray(y), cmap="coolwarm", edgecolors="k", s=25)
    ax.set_title(title)
    fig.tight_layout()
    return _finish(plt, fig, save)


def attention_map(weights, tokens=None, title="Attention", save=None):
    """Heat map of an attention matrix (queries as rows, keys as columns)."""
    plt = _pyplot()
    if plt is None:
        return None
    w = np.asarray(weights)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    im = ax.imshow(w, cmap="viridis")
    if tokens is not None:
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return _finish(plt, fig, save)


def image_grid(images, labels=None, ncols=8, title=None, save=None):
    """Show a few images (N, H, W) with optional labels: what the network actually sees."""
    plt = _pyplot()
    if plt is None:
        return None
    images = np.asarray(images)
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.9, nrows * 1.0))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(plt, fig, save)
