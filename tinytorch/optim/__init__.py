"""tinytorch.optim (module 06): optimizers that update parameters from their gradients, and LR schedules.

opt = optim.Adam(model.parameters(), lr=1e-3)
loss.backward(); opt.step(); opt.zero_grad()
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler"]
