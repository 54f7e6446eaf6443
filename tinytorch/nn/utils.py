"""Where PyTorch users look for gradient clipping (torch.nn.utils.clip_grad_norm_)."""

from ..training import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
