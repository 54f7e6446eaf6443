"""The one registry of the course: 20 lessons and 6 milestones.

Everything that needs the module map (the landing page, the check library, the notebook builder,
the tests and the milestones' prerequisites) derives it from here, so numbers and names cannot
disagree between sources.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str  # file stem: lessons/NN_slug.py, notebook lessons/NN_slug.ipynb
    title: str
    tier: str  # "Foundation", "Architecture", "Optimization"
    builds: str  # what the learner implements, one line
    depends: tuple = ()  # lesson numbers whose code this lesson uses

    @property
    def id(self) -> str:
        return f"{self.number:02d}_{self.slug}"


@dataclass(frozen=True)
class Milestone:
    year: int
    slug: str
    title: str
    builds: str
    requires: tuple = field(default_factory=tuple)  # lesson numbers

    @property
    def id(self) -> str:
        return f"{self.year}_{self.slug}"


LESSONS = (
    Lesson(
        1,
        "tensor",
        "Tensor",
        "Foundation",
        "an n-dimensional array with broadcasting arithmetic, matmul and reductions",
    ),
    Lesson(
        2,
        "activations",
        "Activations",
        "Foundation",
        "ReLU, Sigmoid, Tanh, GELU and a numerically stable Softmax",
        (1,),
    ),
    Lesson(
        3, "layers", "Layers", "Foundation", "Module/Parameter, Linear with Kaiming init, Sequential, Dropout", (1, 2)
    ),
    Lesson(4, "losses", "Losses", "Foundation", "MSE, cross-entropy via log-sum-exp, BCE", (1, 2)),
    Lesson(
        5, "autograd", "Autograd", "Foundation", "the computation graph and reverse-mode differentiation", (1, 2, 3, 4)
    ),
    Lesson(
        6, "optimizers", "Optimizers", "Foundation", "SGD with momentum, Adam, AdamW, learning-rate schedules", (5,)
    ),
    Lesson(
        7, "training", "Training", "Foundation", "a training loop with metrics, clipping and checkpoints", (3, 4, 5, 6)
    ),
    Lesson(
        8, "dataloader", "DataLoader", "Foundation", "Dataset, TensorDataset and a shuffling, batching DataLoader", (1,)
    ),
    Lesson(9, "spatial", "Convolutions", "Architecture", "Conv2d via im2col, MaxPool2d and AvgPool2d", (5, 3)),
    Lesson(10, "tokenization", "Tokenization", "Architecture", "a character tokenizer and byte-pair encoding", ()),
    Lesson(
        11,
        "embeddings",
        "Embeddings",
        "Architecture",
        "Embedding lookup with scatter gradients, positional encodings",
        (5, 3),
    ),
    Lesson(
        12,
        "attention",
        "Attention",
        "Architecture",
        "scaled dot-product attention, causal masks, multi-head attention",
        (5, 3, 2),
    ),
    Lesson(
        13,
        "transformers",
        "Transformers",
        "Architecture",
        "LayerNorm, the pre-norm transformer block, a GPT-style language model",
        (11, 12),
    ),
    Lesson(14, "profiling", "Profiling", "Optimization", "parameter, FLOP, memory and latency counters", (3, 9, 12)),
    Lesson(15, "quantization", "Quantization", "Optimization", "FP16 and INT8 quantization with calibration", (3, 9)),
    Lesson(16, "compression", "Compression", "Optimization", "magnitude pruning and knowledge distillation", (3, 7)),
    Lesson(
        17, "memoization", "KV-Cache", "Optimization", "a key/value cache for fast autoregressive generation", (13,)
    ),
    Lesson(18, "acceleration", "Acceleration", "Optimization", "vectorization, im2col vs loops, fused kernels", (9, 4)),
    Lesson(
        19,
        "benchmarking",
        "Benchmarking",
        "Optimization",
        "a benchmark harness with warm-up, medians and spread",
        (14,),
    ),
    Lesson(
        20,
        "capstone",
        "Capstone",
        "Optimization",
        "optimize a model under a budget, end to end",
        (14, 15, 16, 17, 18, 19),
    ),
)

MILESTONES = (
    Milestone(1958, "perceptron", "Rosenblatt's Perceptron", "the perceptron learning rule on separable data", (1,)),
    Milestone(
        1969, "xor", "The XOR problem", "why one layer fails and two layers with backprop succeed", (1, 2, 3, 4, 5, 6)
    ),
    Milestone(
        1986, "mlp", "Backpropagation MLP", "a multi-layer perceptron on handwritten digits", (1, 2, 3, 4, 5, 6, 7, 8)
    ),
    Milestone(1998, "cnn", "LeNet CNN", "a convolutional network on handwritten digits", (9,)),
    Milestone(
        2017, "transformer", "Attention is all you need", "a decoder-only transformer on real text", (10, 11, 12, 13)
    ),
    Milestone(
        2018,
        "mlperf",
        "MLPerf-style optimization",
        "profile, quantize, prune and cache the models",
        (14, 15, 16, 17, 18, 19),
    ),
)

TIERS = ("Foundation", "Architecture", "Optimization")


def lesson(key) -> Lesson:
    """Look a lesson up by number (1, "01") or id ("01_tensor") or slug ("tensor")."""
    for item in LESSONS:
        if key in (item.number, item.id, item.slug) or str(key).lstrip("0") == str(item.number):
            return item
    raise KeyError(f"no lesson {key!r}; lessons are 01..{len(LESSONS):02d}: " + ", ".join(item.id for item in LESSONS))


def run_mode(argv=None) -> str:
    """How big a milestone run should be: "quick" (tests, seconds), "browser" (about a minute in
    Pyodide, where NumPy is ~5x slower) or "full" (native, the recorded results).

    Chosen by `--quick` / `--browser` / `--full` on the command line, else the TINYTORCH_MODE
    environment variable, else "browser" inside Pyodide and "full" natively.
    """
    argv = sys.argv if argv is None else argv
    for mode in MODES:
        if f"--{mode}" in argv:
            return mode
    env = os.environ.get("TINYTORCH_MODE", "").strip().lower()
    if env:
        if env not in MODES:
            raise ValueError(f"TINYTORCH_MODE={env!r}; use one of {', '.join(MODES)}")
        return env
    return "browser" if sys.platform == "emscripten" else "full"


MODES = ("quick", "browser", "full")


def to_json() -> str:
    """The registry as JSON for the landing page (site/_output/course.json)."""
    return json.dumps(
        {
            "tiers": TIERS,
            "lessons": [{**asdict(item), "id": item.id, "notebook": f"lessons/{item.id}.ipynb"} for item in LESSONS],
            "milestones": [{**asdict(m), "id": m.id, "notebook": f"milestones/{m.id}.ipynb"} for m in MILESTONES],
        },
        indent=1,
    )


if __name__ == "__main__":
    print(to_json())
