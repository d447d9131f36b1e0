#!/usr/bin/env python3
"""PyTorch side of the encoder check (bench/gpu-check.sh): the same BERT (config.json + BF16
model.safetensors written by CheckModel) on the same sentences (ids.npy, lengths.npy written by
DeviceCheck), as sentence-transformers computes it: padded batches, attention mask, mean pooling over
real tokens, L2 normalization.

1. Agreement: PyTorch fp32 vectors against our GPU encoder's fp32 vectors (gpu_fp32.npy): an independent
   implementation of the model, min cosine >= 0.9999 on every sentence.
2. Speed: sentences/s in bf16 (weights and activations bf16, SDPA), batches of 512 sentences sorted by
   length (little padding), median of 3 runs: the figure our GPU encoder is compared with.

    gpu_encoder.py MODEL_DIR CHECK_DIR [--self-test]
Prints "CHECK ..." and "TIME ..." lines like DeviceCheck; exit status 1 when the agreement fails.
"""

import json
import math
import struct
import sys
import time

import numpy as np


def read_safetensors(path):
    """{name: float32 array}; BF16, F16 and F32 tensors."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            x = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            x = np.frombuffer(raw, np.float16).astype(np.float32)
        else:
            x = np.frombuffer(raw, np.float32)
        out[name] = x.reshape(e["shape"])
    return out


class Bert:
    def __init__(self, torch, config, w, dtype):
        self.t, self.c, self.dtype = torch, config, dtype
        self.w = {k: torch.as_tensor(v).to("cuda", dtype) for k, v in w.items()}

    def layer_norm(self, x, name):
        F = self.t.nn.functional
        return F.layer_norm(x.float(), (x.shape[-1],), self.w[name + ".weight"].float(), self.w[name + ".bias"].float(),
                            self.c["layer_norm_eps"]).to(self.dtype)

    def linear(self, x, name):
        return self.t.nn.functional.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def __call__(self, ids, mask):
        t, c, F = self.t, self.c, self.t.nn.functional
        b, s = ids.shape
        pos = t.arange(s, device="cuda")[None, :]
        x = self.w["embeddings.word_embeddings.weight"][ids] + self.w["embeddings.position_embeddings.weight"][pos] \
            + self.w["embeddings.token_type_embeddings.weight"][0]
        x = self.layer_norm(x, "embeddings.LayerNorm")
        h, d = c["num_attention_heads"], c["hidden_size"] // c["num_attention_heads"]
        bias = t.zeros((b, 1, 1, s), device="cuda", dtype=self.dtype).masked_fill(~mask[:, None, None, :], float("-inf"))
        for l in range(c["num_hidden_layers"]):
            p = "encoder.layer.%d." % l
            q, k, v = (self.linear(x, p + "attention.self." + n).view(b, s, h, d).transpose(1, 2) for n in ("query", "key", "value"))
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(b, s, h * d)
            x = self.layer_norm(self.linear(o, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            f = F.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.layer_norm(self.linear(f, p + "output.dense") + x, p + "output.LayerNorm")
        m = mask[:, :, None].to(t.float32)
        mean = (x.float() * m).sum(1) / m.sum(1)
        return F.normalize(mean, dim=1, eps=1e-12)


def embed(torch, model, sentences, batch):
    """Vectors of every sentence, in input order, from batches of similar lengths."""
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out = torch.empty((len(sentences), model.c["hidden_size"]), device="cuda")
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        s = max(len(sentences[j]) for j in idx)
        ids = np.zeros((len(idx), s), np.int64)
        mask = np.zeros((len(idx), s), bool)
        for r, j in enumerate(idx):
            ids[r, :len(sentences[j])] = sentences[j]
            mask[r, :len(sentences[j])] = True
        out[torch.as_tensor(idx, device="cuda")] = model(torch.as_tensor(ids, device="cuda"), torch.as_tensor(mask, device="cuda"))
    return out


def split(ids, lengths):
    ends = np.cumsum(lengths)
    return [ids[e - n:e] for e, n in zip(ends, lengths)]


def main():
    model_dir, check_dir = sys.argv[1], sys.argv[2]
    import torch
    config = json.load(open(model_dir + "/config.json"))
    weights = read_safetensors(model_dir + "/model.safetensors")
    sentences = split(np.load(check_dir + "/ids.npy"), np.load(check_dir + "/lengths.npy"))
    failed = 0
    with torch.no_grad():
        fp32 = Bert(torch, config, weights, torch.float32)
        ref = embed(torch, fp32, sentences[:2000], 512).cpu().numpy()
        ours = np.load(check_dir + "/gpu_fp32.npy")[:2000]
        cos = float(np.min(np.sum(ref * ours, axis=1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(ours, axis=1)))
        ok = cos >= 0.9999
        failed += not ok
        print("CHECK encoder GPU fp32 vs PyTorch fp32 (1 - min cosine) | %.3e | within 1e-04 | %s" % (1 - cos, "ok" if ok else "FAIL"))
        del fp32
        bf16 = Bert(torch, config, weights, torch.bfloat16)
        embed(torch, bf16, sentences[:2000], 512)
        rates = []
        for _ in range(3):
            torch.cuda.synchronize()
            t0 = time.time()
            embed(torch, bf16, sentences, 512)
            torch.cuda.synchronize()
            rates.append(len(sentences) / (time.time() - t0))
        print("TIME encoder PyTorch bf16 (SDPA, batches of 512, %d sentences, median of 3) | %.1f sentences/s"
              % (len(sentences), sorted(rates)[1]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
