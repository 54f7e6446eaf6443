"""torch.save / torch.load: any picklable object holding tensors (a state_dict, a checkpoint dict).

Tensors are pickled as their arrays (never their graph), so a saved model does not drag its last
forward pass along. `map_location` and `weights_only` are accepted for torch programs and ignored:
there is one device, and the file format is plain pickle (load only files you trust).
"""

from __future__ import annotations

import pickle


def save(obj, f) -> None:
    if hasattr(f, "write"):
        pickle.dump(obj, f)
        return
    with open(f, "wb") as fh:
        pickle.dump(obj, fh)


def load(f, map_location=None, weights_only=None):
    if hasattr(f, "read"):
        return pickle.load(f)
    with open(f, "rb") as fh:
        return pickle.load(fh)
