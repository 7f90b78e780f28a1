#!/usr/bin/python3
"""Train unet_torch.py's U-Net on segloss's synthetic set with BCE (PyTorch reference for i13b)."""
import sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
loss_name, steps, lr, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1); torch.manual_seed(seed); rng = np.random.default_rng(seed)
S = 64
def load(n):
    raw = open(f"/tmp/i13b_syn_{n}.bin", "rb").read(); per = S*S*8
    ims = [np.frombuffer(raw[i*per:i*per+S*S*4], np.float32) for i in range(len(raw)//per)]
    labs = [np.frombuffer(raw[i*per+S*S*4:(i+1)*per], np.int32) for i in range(len(raw)//per)]
    return np.stack(ims).reshape(-1,1,S,S), np.stack(labs).reshape(-1,S,S)
xt, yt = load("train"); xv, yv = load("val")
def onehot(y): return np.stack([(y == 1), (y == 2)], 1).astype(np.float32)
W, D = 4, 3
class Block(nn.Module):
    def __init__(s, i, o): super().__init__(); s.c = nn.Conv2d(i, o, 3, padding=1); s.n = nn.InstanceNorm2d(o)
    def forward(s, x): return F.relu(s.n(s.c(x)))
class UNet(nn.Module):
    def __init__(s):
        super().__init__(); s.down, s.up, c = nn.ModuleList(), nn.ModuleList(), 1
        for l in range(D): w = W << l; s.down.append(nn.Sequential(Block(c, w), Block(w, w))); c = w
        for l in range(D-2, -1, -1): w = W << l; s.up.append(nn.Sequential(Block(c + w, w), Block(w, w))); c = w
        s.head = nn.Conv2d(c, 2, 1)
    def forward(s, x):
        sk = []
        for l, m in enumerate(s.down):
            x = m(x)
            if l < D-1: sk.append(x); x = F.avg_pool2d(x, 2)
        for m in s.up: x = m(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), sk.pop()], 1))
        return s.head(x)
net = UNet()
import os
if os.environ.get("HE"):
    for m in net.modules():
        if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, nonlinearity="relu"); nn.init.zeros_(m.bias)
opt = torch.optim.Adam(net.parameters(), lr)
def dice_loss(z, t):
    p = torch.sigmoid(z); inter = (p*t).sum((0,2,3)); den = p.sum((0,2,3)) + t.sum((0,2,3))
    return (1 - (2*inter + 1e-5)/(den + 1e-5)).mean()
for it in range(steps):
    idx = rng.choice(len(xt), 4, replace=False)
    x = torch.from_numpy(xt[idx]); t = torch.from_numpy(onehot(yt[idx]))
    z = net(x); bce = F.binary_cross_entropy_with_logits(z, t)
    loss = bce if loss_name == "bce" else bce + dice_loss(z, t)
    opt.zero_grad(); loss.backward(); opt.step()
    if it == 0 or (it+1) % 100 == 0: print(it+1, float(loss), flush=True)
with torch.no_grad(): z = net(torch.from_numpy(xv)).numpy()
best = np.where(z[:,0] >= z[:,1], 0, 1); pred = np.where(z.max(1) > 0, best+1, 0)
for k, name in ((1, "blob"), (2, "rare")):
    ds = []
    for i in range(len(yv)):
        a, b = pred[i] == k, yv[i] == k
        if a.sum() + b.sum() == 0: ds.append(1.0); continue
        ds.append(2*(a & b).sum()/(a.sum()+b.sum()))
    print(f"{loss_name} steps {steps} lr {lr} seed {seed}: Dice {name} {np.mean(ds):.3f}")
