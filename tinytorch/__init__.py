"""TinyTorch (placeholder while the core lands)."""
