"""One-sentence classifier latency in PyTorch eager mode, for ftbench's `infer` comparison.

The model is python_train_loop.py's HF-structured BERT classifier on the same weights; the forward
runs under torch.inference_mode() on the token ids ftbench wrote, as a practitioner's predict()
would. Usage: /usr/bin/python3 python_infer.py JOB.json (model_dir, labels, ids, reps, threads).
Prints one JSON line: p50_ms, p99_ms.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_train_loop import Classifier, safetensors_io  # noqa: E402


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job["threads"])
    config = json.load(open(os.path.join(job["model_dir"], "config.json")))
    model = Classifier(config, len(job["labels"]))
    weights = safetensors_io.load(os.path.join(job["model_dir"], "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
    model.eval()
    ids = torch.tensor([job["ids"]])
    mask = torch.ones_like(ids)
    times = []
    with torch.inference_mode():
        for _ in range(10):
            model(ids, mask)
        for _ in range(job["reps"]):
            start = time.perf_counter()
            torch.softmax(model(ids, mask), -1).tolist()
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"p50_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99)]}))


if __name__ == "__main__":
    main()
