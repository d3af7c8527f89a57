"""Streaming ONNX conversion of SliME checkpoints (graph writer, LLM graph builder, int4 quantiser)."""
