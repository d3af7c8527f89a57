"""SliME (arXiv 2406.08487) re-implemented in PyTorch; see models/README.md for the API."""

from .config import SlimeConfig
from .model import SlimeForCausalLM

__all__ = ["SlimeConfig", "SlimeForCausalLM"]
