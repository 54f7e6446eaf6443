"""tinytorch.nn: layers, activations, losses (and, from module 09 on, conv, attention, transformers)."""

from . import functional, init, utils
from .activations import GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh
from .linear import Dropout, Flatten, Identity, Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential

# architecture tier (modules 09-13), present once written
try:
    from .conv import AvgPool2d, Conv2d, MaxPool2d, naive_conv2d
except ImportError:  # pragma: no cover - during development only
    pass
try:
    from .embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
except ImportError:  # pragma: no cover
    pass
try:
    from .attention import MultiHeadAttention, causal_mask
except ImportError:  # pragma: no cover
    pass
try:
    from .transformer import GPT, LayerNorm, TransformerBlock
except ImportError:  # pragma: no cover
    pass
