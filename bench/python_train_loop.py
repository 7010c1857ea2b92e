"""The training loop a practitioner writes with PyTorch, for ftbench's `train` comparison.

Run with Debian's python3-torch (/usr/bin/python3): the same libtorch the studio links. It
builds a BERT sequence classifier the way Hugging Face's BertForSequenceClassification does
(torch.nn modules, HF parameter names, eager attention with an additive mask), loads the same
safetensors weights, and fine-tunes it on the token ids ftbench wrote: AdamW (no decay on biases
and LayerNorm), linear warmup and decay, gradient clipping at 1.0, dropout 0.1, fp32.

Usage: python3 python_train_loop.py JOB.json   (ftbench writes JOB.json; see bench/README.md)
JOB.json: model_dir, examples [{ids, label}], labels, batch_size, max_length, pad_id, steps,
          timed_from (the first step inside the timed window), lr, threads, padding
          ("max_length": every batch padded to max_length, as tokenizer(padding="max_length")
          does; "longest": each batch padded to its longest row), seed.
Prints one JSON line: samples_per_s, real_tokens_per_s, computed_tokens_per_s, peak_rss_mb.
"""
import json
import math
import os
import random
import resource
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import safetensors_io  # noqa: E402


class SelfAttention(nn.Module):
    def __init__(self, h, heads, p):
        super().__init__()
        self.heads, self.head_size = heads, h // heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(p)

    def forward(self, x, additive_mask):
        b, t, h = x.shape

        def split(y):
            return y.view(b, t, self.heads, self.head_size).transpose(1, 2)

        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2)
        probs = self.dropout(torch.softmax(scores / math.sqrt(self.head_size) + additive_mask, -1))
        return (probs @ split(self.value(x))).transpose(1, 2).reshape(b, t, h)


class DenseNorm(nn.Module):  # HF's BertSelfOutput / BertOutput
    def __init__(self, n_in, h, eps, p):
        super().__init__()
        self.dense, self.LayerNorm, self.dropout = nn.Linear(n_in, h), nn.LayerNorm(h, eps=eps), nn.Dropout(p)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps, p = c["hidden_size"], c["layer_norm_eps"], c["hidden_dropout_prob"]
        self.attention = nn.Module()
        self.attention.self = SelfAttention(h, c["num_attention_heads"], c["attention_probs_dropout_prob"])
        self.attention.output = DenseNorm(h, h, eps, p)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(h, c["intermediate_size"])
        self.output = DenseNorm(c["intermediate_size"], h, eps, p)

    def forward(self, x, additive_mask):
        x = self.attention.output(self.attention.self(x, additive_mask), x)
        return self.output(nn.functional.gelu(self.intermediate.dense(x)), x)


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.embeddings.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.embeddings.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.embeddings.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.pooler = nn.Module()
        self.pooler.dense = nn.Linear(h, h)

    def forward(self, ids, mask):
        e = self.embeddings
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = e.word_embeddings(ids) + e.position_embeddings(positions) + e.token_type_embeddings(torch.zeros_like(ids))
        x = self.dropout(e.LayerNorm(x))
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.encoder.layer:
            x = layer(x, additive)
        return x


class Classifier(nn.Module):
    def __init__(self, c, n_labels):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], n_labels)
        self.mean_pooling = c.get("classifier_pooling", "cls") == "mean"

    def forward(self, ids, mask):
        hidden = self.bert(ids, mask)
        if self.mean_pooling:
            m = mask.unsqueeze(-1).float()
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        else:
            pooled = torch.tanh(self.bert.pooler.dense(hidden[:, 0]))
        return self.classifier(self.dropout(pooled))


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job["threads"])
    torch.manual_seed(job["seed"])
    config = json.load(open(os.path.join(job["model_dir"], "config.json")))
    model = Classifier(config, len(job["labels"]))
    weights = safetensors_io.load(os.path.join(job["model_dir"], "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=job["lr"])
    steps, warmup = job["steps"], max(1, int(0.1 * job["steps"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: s / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup)))
    examples, bs, pad = job["examples"], job["batch_size"], job["pad_id"]
    rng = random.Random(job["seed"])
    order = []
    model.train()
    samples = real = computed = 0
    start = None
    for step in range(steps):
        if step == job["timed_from"]:
            start = time.perf_counter()
        if len(order) < bs:
            order = list(range(len(examples)))
            rng.shuffle(order)
        batch = [examples[i] for i in order[:bs]]
        del order[:bs]
        width = job["max_length"] if job["padding"] == "max_length" else max(len(e["ids"]) for e in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, e in enumerate(batch):
            ids[r, :len(e["ids"])] = torch.tensor(e["ids"])
            mask[r, :len(e["ids"])] = 1
        labels = torch.tensor([e["label"] for e in batch])
        loss = nn.functional.cross_entropy(model(ids, mask), labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if start is not None:
            samples += len(batch)
            real += int(mask.sum())
            computed += ids.numel()
    seconds = time.perf_counter() - start
    print(json.dumps({"samples_per_s": samples / seconds, "real_tokens_per_s": real / seconds,
                      "computed_tokens_per_s": computed / seconds, "seconds": seconds,
                      "last_loss": float(loss),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
