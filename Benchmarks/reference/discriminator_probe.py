"""Can a discriminator tell a GAN's samples from real digits, once the generator stands still?

Trains fresh real-versus-fake classifiers on a fixed set of samples (a `.npy` file of
N x 1 x 28 x 28 pixels in [0, 1], as `sample` writes) against real MNIST digits, and prints after
every epoch the share of each called right and the ROC AUC, on the images trained on and on
held-out ones. An architecture that reaches a high held-out AUC here can see what is wrong with the
samples; one that stays near 0.5 cannot, and a GAN whose discriminator has that architecture gets
no signal to correct them. Real digits in place of the samples are the control (AUC 0.5).

    python3 Benchmarks/reference/discriminator_probe.py SAMPLES.npy --data DATA_DIR [--epochs 5]

Real digits: training digits 0-7,999 to train on, 8,000-9,999 held out; samples 0-7,999 to train
on, 8,000-9,999 held out. Adam 2e-4 with beta1 0.5, batch 64, one thread, seeded.
Architectures:
  report          the report's (TensorFlow tutorial's) discriminator: two 5 x 5 stride-2
                  convolutions (64, 128), LeakyReLU 0.3, dropout 0.3, a dense logit;
  report-no-dropout  the same without dropout;
  batchnorm       Radford et al.'s practice at 28 x 28: stride-2 convolutions to 64 and 128
                  channels (4 x 4) and 256 (3 x 3; 28 -> 14 -> 7 -> 4), batch norm after the
                  second and third, LeakyReLU 0.2, a dense logit.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("samples", help=".npy file of at least 10,000 samples, N x 1 x 28 x 28 in [0, 1]")
parser.add_argument("--data", required=True, help="folder holding mnist/ (train and t10k images)")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--architectures", default="report,report-no-dropout,batchnorm")
args = parser.parse_args()
torch.set_num_threads(1)


def read_images(path, count):
    with gzip.open(path, "rb") as file:
        data = file.read()
    magic, total, rows, columns = struct.unpack(">IIII", data[:16])
    if magic != 2051 or count > total:
        raise SystemExit(f"{path}: not an IDX image file with {count} images")
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16, count=count * rows * columns)
    return torch.tensor(pixels.reshape(count, 1, rows, columns).astype(np.float32) / 255.0)


class Report(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(7 * 7 * 128, 1)

    def forward(self, x):
        x = self.dropout(F.leaky_relu(self.conv1(x), 0.3))
        x = self.dropout(F.leaky_relu(self.conv2(x), 0.3))
        return self.dense(x.flatten(1))


class BatchNormD(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 4, stride=2, padding=1)  # 14 x 14
        self.conv2 = nn.Conv2d(64, 128, 4, stride=2, padding=1, bias=False)  # 7 x 7
        self.bn2 = nn.BatchNorm2d(128)
        self.conv3 = nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False)  # 4 x 4
        self.bn3 = nn.BatchNorm2d(256)
        self.dense = nn.Linear(4 * 4 * 256, 1)

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.2)
        x = F.leaky_relu(self.bn3(self.conv3(x)), 0.2)
        return self.dense(x.flatten(1))


def build(name):
    if name == "report":
        return Report(0.3)
    if name == "report-no-dropout":
        return Report(0.0)
    if name == "batchnorm":
        return BatchNormD()
    raise SystemExit(f"unknown architecture {name}")


def accuracies(model, images, labels):
    """Share of real images called real, share of samples called fake, and the ROC AUC (the chance
    that a real image scores above a sample: 0.5 when they cannot be told apart, whatever the
    threshold)."""
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(images[i : i + 500]) for i in range(0, len(images), 500)]).squeeze(1)
    model.train()
    right = ((logits > 0).float() == labels).float()
    ranks = torch.empty(len(logits))
    ranks[logits.argsort()] = torch.arange(1, len(logits) + 1, dtype=torch.float32)
    real, fake = int(labels.sum().item()), int((1 - labels).sum().item())
    auc = (ranks[labels == 1].sum().item() - real * (real + 1) / 2) / (real * fake)
    return right[labels == 1].mean().item(), right[labels == 0].mean().item(), auc


def main():
    samples = np.load(args.samples)
    if samples.ndim != 4 or samples.shape[1:] != (1, 28, 28) or samples.shape[0] < 10_000:
        raise SystemExit(f"{args.samples}: expected at least 10,000 samples of 1 x 28 x 28, found {samples.shape}")
    fake = torch.tensor(samples[:10_000].astype(np.float32))
    # Held-out real digits from the training split too: the test split's writers differ, which a
    # classifier would pick up as a difference of its own.
    digits = read_images(os.path.join(args.data, "mnist", "train-images-idx3-ubyte.gz"), 10_000)
    real_train, real_test = digits[:8_000], digits[8_000:]
    # Both in [-1, 1], as the GAN's discriminator sees them.
    train = torch.cat([real_train, fake[:8_000]]) * 2 - 1
    train_labels = torch.cat([torch.ones(8_000), torch.zeros(8_000)])
    test = torch.cat([real_test, fake[8_000:]]) * 2 - 1
    test_labels = torch.cat([torch.ones(2_000), torch.zeros(2_000)])
    results = {"samples": args.samples, "epochs": args.epochs, "accuracy": {}}
    for name in args.architectures.split(","):
        torch.manual_seed(args.seed)
        model = build(name)
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
        shuffle = torch.Generator().manual_seed(args.seed)
        history = []
        for epoch in range(1, args.epochs + 1):
            started = time.time()
            order = torch.randperm(len(train), generator=shuffle)
            for first in range(0, len(train), 64):
                batch = order[first : first + 64]
                loss = F.binary_cross_entropy_with_logits(model(train[batch]).squeeze(1), train_labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            seen = accuracies(model, train, train_labels)
            held_out = accuracies(model, test, test_labels)
            history.append({"epoch": epoch, "train": seen, "held_out": held_out})
            print(f"{name}: epoch {epoch}, real / fake called right, AUC: trained-on {seen[0]:.3f} / {seen[1]:.3f}, "
                  f"{seen[2]:.3f}; held out {held_out[0]:.3f} / {held_out[1]:.3f}, {held_out[2]:.3f} "
                  f"({time.time() - started:.0f} s)", flush=True)
        results["accuracy"][name] = history
    print(json.dumps(results))


if __name__ == "__main__":
    main()
