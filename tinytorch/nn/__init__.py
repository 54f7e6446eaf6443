"""tinytorch.nn: layers, activations, losses, conv, embeddings, attention, transformers."""

from . import functional, init, utils
from .activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .attention import MultiHeadAttention, causal_mask
from .conv import AvgPool2d, Conv2d, MaxPool2d, naive_conv2d
from .embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from .linear import Dropout, Flatten, Identity, Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .transformer import GPT, LayerNorm, TransformerBlock
