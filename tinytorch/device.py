"""Devices, as far as a CPU-only framework has them: torch.device('cpu'), and accelerators that are absent.

Programs written for any hardware ask `torch.cuda.is_available()` or `torch.accelerator` and fall back
to the CPU; here the answer is always "no accelerator", and moving a tensor to 'cpu' is a no-op.
"""

from __future__ import annotations

import types


class device:
    """torch.device('cpu'); any other device type raises a clear error (there is only the CPU)."""

    def __init__(self, type="cpu", index=None):
        type = getattr(type, "type", type)
        self.type, _, idx = str(type).partition(":")
        self.index = index if index is not None else (int(idx) if idx else None)
        check_device(self.type)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __str__(self):
        return self.type


def check_device(dev) -> None:
    kind = str(getattr(dev, "type", dev)).partition(":")[0]
    if kind != "cpu":
        raise RuntimeError(
            f"device {kind!r} is not available: tinytorch runs on the CPU only. "
            "Pick the device as torch programs do: 'cuda' if torch.cuda.is_available() else 'cpu'."
        )


def _no_accelerator() -> bool:
    return False


cuda = types.SimpleNamespace(is_available=_no_accelerator, device_count=lambda: 0)
mps = types.SimpleNamespace(is_available=_no_accelerator)
backends = types.SimpleNamespace(mps=mps, cuda=types.SimpleNamespace(is_built=_no_accelerator))
accelerator = types.SimpleNamespace(
    is_available=_no_accelerator, current_accelerator=lambda: None, device_count=lambda: 0
)
