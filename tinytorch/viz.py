"""Plots a person would rather look at than read: loss curves, decision boundaries, attention maps.

Two layers:
- `figure()` / `show()` / `LivePlot`: what the lessons' drawing cells use. They build a matplotlib
  `Figure` without pyplot (no global state, no backend to choose, nothing shown twice) and put it in
  the page as a PNG output of the cell. matplotlib is imported only when a figure is made, so
  `import tinytorch` never pays for it (in the browser it is ~12 MB and a font cache); a drawing
  cell says `import matplotlib` itself so that the browser kernel loads the package for that cell.
- `loss_curve`, `decision_boundary`, ...: the milestones' ready-made plots; each returns the Figure,
  or None with a one-line note when matplotlib is not installed.
In a terminal run, pass `save=` to write a PNG.
"""

from __future__ import annotations

import io
import time

import numpy as np


def figure(nrows: int = 1, ncols: int = 1, size=(6.0, 3.2), **subplots):
    """(Figure, axes) for a drawing cell: `fig, ax = viz.figure()`, draw on `ax`, then `viz.show(fig)`.

    Made with `matplotlib.figure.Figure`, not pyplot, so the figure appears exactly once, where
    `show` puts it, and never again at the end of the cell."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **subplots)


def png(fig) -> bytes:
    """The figure as PNG bytes (what the page shows)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def show(fig, save=None) -> None:
    """Put `fig` in the page as the cell's image output (in a notebook); write it to `save` when given."""
    if save:
        fig.savefig(save, dpi=100)
    if _in_notebook():
        from IPython.display import Image, display

        display(Image(png(fig)))


class LivePlot:
    """A figure that redraws itself in place while a long loop runs: live progress a learner can see.

        plot = viz.LivePlot("epoch", "loss")
        for epoch in ...:
            plot.add("train", epoch, loss)     # redrawn at most every `every` seconds
        plot.done()                            # the final picture

    In a notebook the picture is one output updated in place (IPython display ids); elsewhere it
    only collects the points (and `done(save=...)` writes the final PNG)."""

    def __init__(self, xlabel: str, ylabel: str, title: str | None = None, every: float = 1.0, logy=False):
        self.xlabel, self.ylabel, self.title, self.every, self.logy = xlabel, ylabel, title, every, logy
        self.series: dict = {}
        self._handle, self._last = None, 0.0

    def add(self, name: str, x: float, y: float) -> None:
        xs, ys = self.series.setdefault(name, ([], []))
        xs.append(float(x))
        ys.append(float(y))
        if time.perf_counter() - self._last >= self.every:
            self._draw()

    def done(self, save=None):
        """Draw the final picture and return its Figure."""
        fig = self._draw()
        if save:
            fig.savefig(save, dpi=100)
        return fig

    def _draw(self):
        fig, ax = figure()
        for name, (xs, ys) in self.series.items():
            ax.plot(xs, ys, label=name, marker="." if len(xs) < 30 else None)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        if self.logy:
            ax.set_yscale("log")
        if self.title:
            ax.set_title(self.title)
        if self.series:
            ax.legend()
        if _in_notebook():
            from IPython.display import Image, display

            image = Image(png(fig))
            if self._handle is None:
                self._handle = display(image, display_id=True)
            else:
                self._handle.update(image)
        self._last = time.perf_counter()
        return fig


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
