"""Small architectures sized for a CPU-only build box and an ~80 MB models/ budget.

Classifiers end in global average pooling + one linear layer, because for that head Grad-CAM
equals CAM exactly (see ../shared/notes/explanations-and-anomaly.md §1.4): the exported graph
needs no gradients: the app finds the GAP input in the graph and weighs it by the FC weights.
"""
import torch
from torch import nn


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    """Residual pair of 3x3 convs; the first may downsample."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, stride)
        self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        s = x if self.skip is None else self.skip(x)
        return self.act(self.b(self.a(x)) + s)


class NarrowResNet(nn.Module):
    """Stem /2, then a block per width, each /2 except the last: feature map at input/16."""

    def __init__(self, in_ch, widths, n_classes, mean, std, dropout=0.0):
        super().__init__()
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))
        layers = [conv_bn(in_ch, widths[0], 2)]
        for i in range(1, len(widths)):
            layers.append(Block(widths[i - 1], widths[i], 2 if i < len(widths) - 1 else 1))
        self.features = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(widths[-1], n_classes)

    def forward_maps(self, x):
        # Intensity normalisation lives in the graph so the app only scales pixels to 0..1.
        a = self.features((x - self.mean) / self.std)
        return self.fc(self.drop(a.mean(dim=(2, 3)))), a

    def forward(self, x):
        return self.forward_maps(x)[0]


def cam_for(net, x, cls):
    """Raw CAM for class `cls` at feature resolution (ReLU applied, no per-image min-max)."""
    with torch.no_grad():
        _, a = net.forward_maps(x)
        cam = torch.einsum("k,bkhw->bhw", net.fc.weight[cls], a)
    return torch.relu(cam)


def gaussian_kernel(sigma):
    """The app's kernel (src/core/anomaly/gaussian.ts, as anomalib): size 2*int(4*sigma+0.5)+1."""
    r = int(4 * sigma + 0.5)
    x = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None].float()


LUMA = (0.299, 0.587, 0.114)


def box_mean(x, window):
    """Mean over a window x window neighbourhood with reflect padding, as the app's residual maths."""
    p = window // 2
    return nn.functional.avg_pool2d(nn.functional.pad(x, [p] * 4, mode="reflect"), window, 1)


def dissimilarity(x, rec, window):
    """1 - SSIM per pixel (uniform window, C1 = 0.01², C2 = 0.03², population variances), per channel."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, mr = box_mean(x, window), box_mean(rec, window)
    vx = box_mean(x * x, window) - mx * mx
    vr = box_mean(rec * rec, window) - mr * mr
    cov = box_mean(x * rec, window) - mx * mr
    return 1 - ((2 * mx * mr + c1) * (2 * cov + c2)) / ((mx * mx + mr * mr + c1) * (vx + vr + c2))


def residual_map(x, rec, residual=None):
    """Per-pixel residual [N, 1, H, W] as the app computes it (docs/PACKS.md `anomaly.residual`):
    metric l2 (squared error), l1 (absolute error) or ssim (1 - SSIM in a window); channels mean
    (metric per RGB channel, averaged) or luma (metric on the BT.601 luma of both images)."""
    r = {"metric": "l2", "channels": "mean", "window": 7, **(residual or {})}
    if r["channels"] == "luma" and x.shape[1] == 3:
        w = torch.tensor(LUMA, dtype=x.dtype).view(1, 3, 1, 1)
        x, rec = (x * w).sum(1, keepdim=True), (rec * w).sum(1, keepdim=True)
    if r["metric"] == "l2":
        err = (x - rec) ** 2
    elif r["metric"] == "l1":
        err = (x - rec).abs()
    else:
        err = dissimilarity(x, rec, r["window"])
    return err.mean(dim=1, keepdim=True)


def anomaly_maps(x, rec, sigma, score="max", residual=None):
    """Residual map exactly as the app computes it from an autoencoder pack's reconstruction:
    the configured residual (default squared error averaged over channels), Gaussian-smoothed
    with reflect padding; image score = max (or mean) of the smoothed map."""
    err = residual_map(x, rec, residual)
    k = gaussian_kernel(sigma).to(err.dtype)
    p = k.shape[-1] // 2
    amap = nn.functional.conv2d(nn.functional.pad(err, [p] * 4, mode="reflect"), k)
    s = amap.amax(dim=(2, 3)) if score == "max" else amap.mean(dim=(2, 3))
    return s[:, 0], amap[:, 0]


class ConvAutoencoder(nn.Module):
    """Conv autoencoder: strided encoder to input/16, a narrow 1x1 latent, upsampling decoder.

    `skips` lists encoder stages (1 = /2, 2 = /4, ...) whose features are concatenated into the
    decoder at the same scale (U-Net style). Without skips the narrow latent must rebuild the
    whole surface and the residual lights up every thread edge; with skips at coarse scales the
    reconstruction is sharp, and training on corrupted inputs (see surface_ae/corrupt.py) teaches
    it to replace small local deviations with normal surface rather than copy them.
    """

    def __init__(self, widths, latent, skips=(), anchor_hw=None):
        super().__init__()
        self.skips = set(skips)
        if anchor_hw is not None:
            # Logit of the mean normal photo: the decoder learns the correction from that prior.
            self.register_buffer("anchor", torch.zeros(1, 3, *anchor_hw))
        else:
            self.anchor = None
        self.enc = nn.ModuleList()
        cin = 3
        for w in widths:
            self.enc.append(nn.Sequential(nn.Conv2d(cin, w, 3, 2, 1), nn.BatchNorm2d(w), nn.LeakyReLU(0.1, inplace=True)))
            cin = w
        self.latent = nn.Conv2d(cin, latent, 1)
        self.expand = nn.Sequential(nn.Conv2d(latent, widths[-1], 1), nn.LeakyReLU(0.1, inplace=True))
        self.dec = nn.ModuleList()
        cin = widths[-1]
        outs = list(reversed(widths[:-1])) + [widths[0] // 2]
        for i, w in enumerate(outs):
            stage = len(widths) - 1 - i  # encoder stage whose resolution this decoder stage reaches
            extra = widths[stage - 1] if stage in self.skips else 0
            self.dec.append(nn.Sequential(nn.Conv2d(cin + extra, w, 3, 1, 1), nn.BatchNorm2d(w), nn.LeakyReLU(0.1, inplace=True)))
            cin = w
        self.out = nn.Sequential(nn.Conv2d(cin, 3, 3, 1, 1), nn.Sigmoid())

    def forward(self, x):
        feats = []
        for e in self.enc:
            x = e(x)
            feats.append(x)
        x = self.expand(self.latent(x))
        n = len(self.enc)
        for i, d in enumerate(self.dec):
            x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
            stage = n - 1 - i
            if stage in self.skips:
                x = torch.cat([x, feats[stage - 1]], 1)
            x = d(x)
        if self.anchor is None:
            return self.out(x)
        return torch.sigmoid(self.out[0](x) + self.anchor)

    def set_anchor(self, mean_photo):
        """Anchors the output on a photo (N=1, 0..1) and starts the correction at zero, so an
        untrained network reconstructs exactly the mean normal photo (the baseline)."""
        self.anchor.copy_(torch.logit(mean_photo.clamp(1e-3, 1 - 1e-3)))
        nn.init.zeros_(self.out[0].weight)
        nn.init.zeros_(self.out[0].bias)


def autoencoder_for(mc, input_hw):
    """The surface AE as a config describes it (`model.anchor: mean_photo` adds the prior)."""
    return ConvAutoencoder(mc["widths"], mc["latent"], mc.get("skips", []),
                           tuple(input_hw) if mc.get("anchor") == "mean_photo" else None)
