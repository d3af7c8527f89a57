"""A CLIP folder's tensors for the converter: safetensors, or the `pytorch_model.bin` that
openai/clip-vit-large-patch14-336 ships (it has no safetensors), memory-mapped by torch.load."""

from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import CheckpointError, TensorSource, weight_files


class PickleSource(TensorSource):
    """Tensors of a `pytorch_model.bin` (openai/clip-vit-large-patch14-336 ships no safetensors), memory-mapped by
    torch.load (zip format; an old-format file is read whole)."""

    def __init__(self, path: Path) -> None:
        try:
            sd = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
        except RuntimeError:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - re-raised naming the file
            raise CheckpointError(f"{path}: cannot read: {e}", "unreadable") from e
        self._sd = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
        super().__init__({k: path for k in self._sd})

    def shape(self, key: str) -> list[int]:
        return list(self._sd[key].shape)

    def get(self, key: str) -> torch.Tensor:
        return self._sd[key]


def clip_source(folder: Path) -> TensorSource:
    """A CLIP folder's tensors: safetensors (index or model.safetensors) or, failing that, pytorch_model.bin."""
    if not (folder / "model.safetensors.index.json").exists() and not (folder / "model.safetensors").exists():
        if (folder / "pytorch_model.bin").exists():
            return PickleSource(folder / "pytorch_model.bin")
        raise CheckpointError(f"{folder}: no model.safetensors or pytorch_model.bin (is this the CLIP folder?)", "clip")
    return TensorSource(weight_files(folder))
