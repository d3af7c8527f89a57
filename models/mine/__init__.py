"""Hard-example mining on Ray: `python -m models.mine` (see cli.py). Mirrors the app's ask-folder job
(electron/node/mining) with the Python onnxruntime pipeline (models/ort_pipeline.py, models/ort_signals.py)."""
