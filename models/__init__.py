"""SliME Studio Python toolchain: SliME in PyTorch, checkpoint loading, ONNX export, fixtures."""
