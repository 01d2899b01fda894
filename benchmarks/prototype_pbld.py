"""Prototype: would RealMLP's periodic embeddings of the numbers (PBLD) help the table defaults?

A PyTorch copy of ``skbpnet train``'s network (64 ReLU units, Adam 1e-3, batches of 32,
100 epochs, L2 1e-4) on the command's preprocessing, trained with and without a PBLD
embedding of the numeric and date columns (Gorishniy et al. 2022, as in RealMLP-TD:
16 frequencies of scale 0.1, 3 learned dimensions per column beside the value itself,
``pbld3``) and with a learned per-column scale (``scale``), on ``bench_tables``'s
5-fold x 3 splits. It decided against building the layer into ``skbpnet.nn``
(``docs/user_guide/tables.rst``). Needs torch and the tables' packages::

    OMP_NUM_THREADS=1 python benchmarks/prototype_pbld.py base,pbld3,scale,scalepbld3 \
        penguins diabetes cancer wine titanic seattle-weather
"""
import os
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_tables as bt  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold  # noqa: E402

from skbpnet.tabular import infer_task, make_pipeline_for  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")

class PBLD(torch.nn.Module):
    def __init__(self, n, k=16, d=3, sigma=0.1):
        super().__init__()
        self.w = torch.nn.Parameter(sigma * torch.randn(n, k))
        self.b = torch.nn.Parameter(torch.rand(n, k) * 2 - 1)  # phase 2 pi b
        self.W = torch.nn.Parameter(torch.randn(n, k, d) / np.sqrt(k))
        self.c = torch.nn.Parameter(torch.zeros(n, d))
    def forward(self, x):
        z = torch.cos(2 * np.pi * (x[:, :, None] * self.w + self.b))  # (B, n, k)
        e = torch.einsum("bnk,nkd->bnd", z, self.W) + self.c
        return torch.cat([x, e.reshape(len(x), -1)], 1)

class Net(torch.nn.Module):
    def __init__(self, num_idx, other_idx, d_out, variant):
        super().__init__()
        self.num, self.other, self.variant = num_idx, other_idx, variant
        n = len(num_idx)
        width = len(num_idx) + len(other_idx)
        if "scale" in variant:
            self.scale = torch.nn.Parameter(torch.ones(width))
        if "pbld" in variant and n:
            self.emb = PBLD(n, d=int(variant.split("pbld")[1][:1] or 3))
            width += n * self.emb.W.shape[2]
        self.l1 = torch.nn.Linear(width, 64); self.l2 = torch.nn.Linear(64, d_out)
    def forward(self, x):
        if "scale" in self.variant:
            x = x * self.scale
        if hasattr(self, "emb"):
            x = torch.cat([self.emb(x[:, self.num]), x[:, self.other]], 1)
        return self.l2(torch.relu(self.l1(x)))

def train(Xtr, ytr, num, other, task, variant, seed, epochs=100, bs=32, alpha=1e-4):
    torch.manual_seed(seed)
    d_out = int(ytr.max()) + 1 if task == "classification" else 1
    net = Net(num, other, d_out, variant)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    X = torch.tensor(Xtr, dtype=torch.float32)
    y = torch.tensor(ytr, dtype=torch.long if task == "classification" else torch.float32)
    g = np.random.default_rng(seed)
    lossf = torch.nn.CrossEntropyLoss() if task == "classification" else torch.nn.MSELoss()
    for ep in range(epochs):
        order = g.permutation(len(X))
        for s in range(0, len(X), bs):
            i = order[s:s + bs]
            out = net(X[i])
            loss = lossf(out if task == "classification" else out[:, 0], y[i])
            l2 = sum((p ** 2).sum() for n_, p in net.named_parameters() if n_.endswith("weight"))
            loss = loss + alpha * l2 / (2 * len(i))
            opt.zero_grad(); loss.backward(); opt.step()
    return net

def run(name, variants, repeats=3, folds=5):
    df, target = bt.TABLES[name]()
    df = df[df[target].notna()].reset_index(drop=True)
    X, y = df.drop(columns=[target]), df[target]
    task, _ = infer_task(y)
    split = (RepeatedStratifiedKFold if task == "classification" else RepeatedKFold)(
        n_splits=folds, n_repeats=repeats, random_state=0)
    pipe = make_pipeline_for(X, y, task=task)
    res = {v: [] for v in variants}; secs = {v: 0.0 for v in variants}
    for f, (tr, te) in enumerate(split.split(X, y)):
        pre = clone(pipe[0]).fit(X.iloc[tr], y.iloc[tr])
        Xtr, Xte = pre.transform(X.iloc[tr]).astype(np.float32), pre.transform(X.iloc[te]).astype(np.float32)
        Xtr, Xte = np.asarray(Xtr), np.asarray(Xte)
        sl = pre.output_indices_
        num = [i for k in ("numeric", "dates") if k in sl for i in range(sl[k].start, sl[k].stop)]
        other = [i for i in range(Xtr.shape[1]) if i not in num]
        if task == "classification":
            classes, ytr = np.unique(y.iloc[tr], return_inverse=True)
            yte = y.iloc[te].to_numpy()
        else:
            mu, sd = y.iloc[tr].mean(), y.iloc[tr].std(ddof=0)
            ytr = ((y.iloc[tr] - mu) / sd).to_numpy(); yte = y.iloc[te].to_numpy()
        for v in variants:
            t = time.perf_counter()
            net = train(Xtr, ytr, num, other, task, v, seed=f)
            secs[v] += time.perf_counter() - t
            with torch.no_grad():
                out = net(torch.tensor(Xte)).numpy()
            if task == "classification":
                s = np.mean(classes[out.argmax(1)] == yte)
            else:
                p = out[:, 0] * sd + mu
                s = 1 - np.sum((yte - p) ** 2) / np.sum((yte - yte.mean()) ** 2)
            res[v].append(s)
    print(name, task, " ".join(f"{v}={np.mean(res[v]):.4f}({secs[v]:.0f}s)" for v in variants), flush=True)

if __name__ == "__main__":
    variants = sys.argv[1].split(",")
    for name in sys.argv[2:]:
        run(name, variants)
