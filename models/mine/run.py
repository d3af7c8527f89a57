"""Runs a mining job: in this process (`workers=0`, the single-process reference) or on Ray — a local cluster
started here (`ray.init(num_cpus=workers)`) or an existing one (`address`), one actor per worker, each with its own
model (onnxruntime with 1 intra-op thread), images dealt out in order and results gathered in input order."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .sources import Item
from .worker import MineConfig, Miner

MODELS_DIR = Path(__file__).resolve().parents[1]


class MinerActor:
    """The Ray actor: a Miner built on the worker (the model loads there, not in the driver)."""

    def __init__(self, cfg: MineConfig) -> None:
        self.miner = Miner(cfg)

    def ready(self) -> bool:
        return True

    def mine(self, item: Item) -> dict[str, Any]:
        return self.miner.mine(item)


def _collect(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rows": [r for res in results for r in res["rows"]], "failed": [f for res in results for f in res["failed"]]}


def run_local(items: list[Item], cfg: MineConfig) -> dict[str, Any]:
    """The single-process run (no Ray)."""
    miner = Miner(cfg)
    t = time.perf_counter()
    out = _collect([miner.mine(it) for it in items])
    return {**out, "seconds": time.perf_counter() - t}


def start_ray(workers: int, address: str | None) -> None:
    """Connects to `address`, or starts a local cluster with `workers` CPUs (no dashboard, small object store)."""
    import ray

    if ray.is_initialized():
        return
    if address:
        # An existing cluster: ship the models package (not its work folders); the model folder and image paths
        # must be readable on every node (or read images from Parquet shards, whose bytes travel with the tasks).
        ray.init(address=address, runtime_env={"py_modules": [str(MODELS_DIR)],
                                               "excludes": ["nano/work/", "__pycache__/", "rehearsal/", "*.onnx*"]},
                 log_to_driver=False)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, object_store_memory=128 * 1024**2, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(MODELS_DIR.parent), "OMP_NUM_THREADS": "1"}})


def run_ray(items: list[Item], cfg: MineConfig, workers: int, address: str | None = None,
            shutdown: bool = True) -> dict[str, Any]:
    """The Ray run: `workers` actors (ready before the clock starts), results in input order."""
    import ray
    from ray.util import ActorPool

    t0 = time.perf_counter()
    start_ray(workers, address)
    try:
        actor = ray.remote(num_cpus=1)(MinerActor)
        cfg = MineConfig(**{**cfg.__dict__, "workers": workers})
        actors = [actor.remote(cfg) for _ in range(workers)]
        ray.get([a.ready.remote() for a in actors])
        t = time.perf_counter()
        start = t - t0
        results = list(ActorPool(actors).map(lambda a, it: a.mine.remote(it), items))
        seconds = time.perf_counter() - t
        for a in actors:
            ray.kill(a)
        return {**_collect(results), "seconds": seconds, "start_seconds": start}
    finally:
        if shutdown:
            ray.shutdown()
