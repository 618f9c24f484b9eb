"""MNIST reading and sample writing shared by the PyTorch training scripts (torch_train_dcgan.py,
torch_gan_minutes.py). Import it after the thread count is set: it imports PyTorch."""
import gzip
import struct

import numpy as np
import torch


def read_images(path):
    """An IDX image file (gzip) as a float32 tensor N x 1 x H x W in [-1, 1]."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    magic, count, rows, columns = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        raise SystemExit(f"{path}: not an IDX image file (magic {magic})")
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 1, rows, columns)
    return torch.tensor(pixels.astype(np.float32) / 127.5 - 1.0)


def write_samples(G, path, count, seed, noise_dimension):
    """`count` samples of G in inference mode as float32 N x 1 x H x W in [0, 1] (a .npy file), from
    their own seeded noise so that writing them does not change the training's draws."""
    G.eval()
    parts = []
    noise = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for start in range(0, count, 500):
            z = torch.randn(min(500, count - start), noise_dimension, generator=noise)
            parts.append(((G(z) + 1) / 2).clamp(0, 1))
    G.train()
    np.save(path, torch.cat(parts).numpy().astype(np.float32))
