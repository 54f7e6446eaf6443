"""tinytorch.systems: the optimization tier (modules 14-20), measured tools rather than slogans.

    profiling      14  parameters, FLOPs, bytes, per-layer and per-op time
    quantization   15  FP16 / INT8 (symmetric, asymmetric, per-channel, calibrated) models
    pruning        16  magnitude and channel pruning, fine-tuning with masks, distillation
    kvcache        17  a key/value cache for GPT generation
    acceleration   18  vectorization, im2col, layouts, fusion, precision: before/after numbers
    benchmarking   19  warm-up, repeats, median and spread, comparison tables
    capstone       20  optimize a model under a budget, end to end

Submodules load on first use (`from tinytorch.systems import quantization`).
"""

import importlib

from .table import Table, format_bytes

_SUBMODULES = ("profiling", "quantization", "pruning", "kvcache", "acceleration", "benchmarking", "capstone")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinytorch.systems' has no attribute {name!r}")
