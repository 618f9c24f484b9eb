"""PyTorch (CPU, eager) reference: the report's DCGAN and VAE, one full training step at a time.

    python torch_bench.py --model dcgan [--batch 256] [--steps 10] [--warmup 3] [--threads 2] [--variant channels_last]

Models: dcgan and vae (the report's, 28 x 28), frey_gan and frey_vae (the same sized for Frey faces,
28 x 20), dcgan64 (Radford et al.'s DCGAN for 64 x 64 images, as GenerativeKit's
DCGAN.generator64/discriminator64: PyTorch's BatchNorm defaults, LeakyReLU 0.2, Adam 2e-4 with
beta1 0.5); the GANs with the same step.

GAN step, as the TensorFlow DCGAN tutorial's train_step: G makes one fake batch; D scores a real
and the fake batch; the generator loss is differentiated into G's weights only (through D's input
gradients), the discriminator loss into D's weights only; then both Adam updates.
VAE step: encode, reparameterise, decode (sigmoid), loss = per-image summed squared error + KL,
mean over the batch; backward; Adam.
Prints a JSON object (see common.py); the per-step log goes to standard error.
"""
import common

args = common.parse_args(__doc__.splitlines()[0], variants=("default", "channels_last"))
common.limit_threads(args.threads)

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
FORMAT = torch.channels_last if args.variant == "channels_last" else torch.contiguous_format
BN = dict(eps=common.BN_EPSILON, momentum=1 - common.BN_MOMENTUM)  # torch's momentum is Keras' 1 - momentum


def leaky(x):
    return F.leaky_relu(x, common.LEAKY_SLOPE)


def convT(cin, cout, k, stride, bias):
    """Keras' Conv2DTranspose with padding="same": output = input x stride."""
    return nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=k // 2, output_padding=stride - 1, bias=bias)


class Generator(nn.Module):
    def __init__(self, height=28, width=28):
        super().__init__()
        self.base = (height // 4, width // 4)
        self.dense = nn.Linear(common.NOISE_DIM, self.base[0] * self.base[1] * 256, bias=False)
        self.bn0 = nn.BatchNorm1d(self.base[0] * self.base[1] * 256, **BN)
        self.up1, self.bn1 = convT(256, 128, 5, 1, False), nn.BatchNorm2d(128, **BN)
        self.up2, self.bn2 = convT(128, 64, 5, 2, False), nn.BatchNorm2d(64, **BN)
        self.up3 = convT(64, 1, 5, 2, False)

    def forward(self, z):
        x = leaky(self.bn0(self.dense(z))).view(-1, 256, *self.base).contiguous(memory_format=FORMAT)
        x = leaky(self.bn1(self.up1(x)))
        x = leaky(self.bn2(self.up2(x)))
        return torch.tanh(self.up3(x))


class Discriminator(nn.Module):
    def __init__(self, height=28, width=28):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.dropout = nn.Dropout(0.3)
        self.dense = nn.Linear((height // 4) * (width // 4) * 128, 1)

    def forward(self, x):
        x = self.dropout(leaky(self.conv1(x)))
        x = self.dropout(leaky(self.conv2(x)))
        return self.dense(x.flatten(1))


class VAE(nn.Module):
    def __init__(self, latent=common.LATENT, height=28, width=28):
        super().__init__()
        self.base = (height // 4, width // 4)
        cells = self.base[0] * self.base[1]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=1, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(cells * 128, 2 * latent))
        self.dense = nn.Linear(latent, cells * 64)
        self.decoder = nn.Sequential(
            convT(64, 64, 3, 2, True), nn.ReLU(), convT(64, 32, 3, 2, True), nn.ReLU(), convT(32, 1, 3, 1, True))

    def forward(self, x):
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        h = F.relu(self.dense(z)).view(-1, 64, *self.base).contiguous(memory_format=FORMAT)
        return torch.sigmoid(self.decoder(h)), mean, log_var


class Generator64(nn.Module):
    """Noise -> Linear(4*4*8w) -> BN -> ReLU -> four ConvT(k4, s2, p1): 4 -> 8 -> 16 -> 32 -> 64, tanh."""

    def __init__(self, width=64):
        super().__init__()
        widths = [8 * width, 4 * width, 2 * width, width]
        self.dense = nn.Linear(common.NOISE_DIM, 4 * 4 * widths[0], bias=False)
        self.bn0 = nn.BatchNorm1d(4 * 4 * widths[0])
        layers = []
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        layers += [nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.widths = widths

    def forward(self, z):
        x = F.relu(self.bn0(self.dense(z))).view(-1, self.widths[0], 4, 4).contiguous(memory_format=FORMAT)
        return self.body(x)


class Discriminator64(nn.Module):
    """Conv(k4, s2, p1) 1 -> w, LeakyReLU(0.2), then Conv -> BN -> LeakyReLU(0.2) to 8w (64 -> 4), Linear."""

    def __init__(self, width=64):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 8 * width]
        layers = [nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Linear(8 * width * 4 * 4, 1))

    def forward(self, x):
        return self.body(x)


def adam(module, lr=common.LEARNING_RATE, betas=(0.9, 0.999)):
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, eps=common.ADAM_EPSILON)


def images(batch, low, height=28, width=28):
    return (torch.rand(batch, 1, height, width) * (1 - low) + low).contiguous(memory_format=FORMAT)


def dcgan_step(height=28, width=28):
    batch = args.batch
    if height == 64:
        G, D = Generator64().to(memory_format=FORMAT), Discriminator64().to(memory_format=FORMAT)
        g_opt, d_opt = adam(G, 2e-4, (0.5, 0.999)), adam(D, 2e-4, (0.5, 0.999))
    else:
        G = Generator(height, width).to(memory_format=FORMAT)
        D = Discriminator(height, width).to(memory_format=FORMAT)
        g_opt, d_opt = adam(G), adam(D)
    g_params, d_params = list(G.parameters()), list(D.parameters())
    real = images(batch, -1.0, height, width)
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        g_opt.zero_grad(set_to_none=True)
        d_opt.zero_grad(set_to_none=True)
        fake = G(torch.randn(batch, common.NOISE_DIM))
        real_logits, fake_logits = D(real), D(fake)
        g_loss = F.binary_cross_entropy_with_logits(fake_logits, ones)
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        g_loss.backward(inputs=g_params, retain_graph=True)
        d_loss.backward(inputs=d_params)
        g_opt.step()
        d_opt.step()
        return g_loss.item() + d_loss.item()

    return step


def vae_step(height=28, width=28):
    batch = args.batch
    model = VAE(height=height, width=width).to(memory_format=FORMAT)
    opt = adam(model)
    x = images(batch, 0.0, height, width)

    def step():
        opt.zero_grad(set_to_none=True)
        x_hat, mean, log_var = model(x)
        reconstruction = (x_hat - x).pow(2).sum(dim=(1, 2, 3)).mean()
        kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=1)).mean()
        loss = reconstruction + kl
        loss.backward()
        opt.step()
        return loss.item()

    return step


step = {"dcgan": dcgan_step, "vae": vae_step, "dcgan64": lambda: dcgan_step(64, 64),
        "frey_gan": lambda: dcgan_step(28, 20), "frey_vae": lambda: vae_step(28, 20)}[args.model]()
common.run(step, args, "torch", torch.__version__,
           extra=dict(torch_threads=torch.get_num_threads(), cpu_capability=torch.backends.cpu.get_cpu_capability(),
                      mkldnn=torch.backends.mkldnn.is_available()))
