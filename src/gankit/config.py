"""Typed run configuration: dataclass defaults, YAML recipes, ``--set`` overrides.

One schema is the single source of truth. A recipe YAML names only what differs from the
defaults; every key is checked against the schema, so a typo fails at once with the nearest
valid key suggested instead of being silently ignored (StudioGAN's lesson). The fully resolved
config is saved with every run and stored inside checkpoints, so sampling and resuming rebuild
the exact model.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gankit.errors import ConfigError
from gankit.registry import names_of, registry_of

# "auto" is resolved by the trainer (gankit.training.precision) to fp32 or bf16 before the run's
# config.yaml is written, so a saved config always names the precision the run really used.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class DataConfig:
    """Which images to train on and how they are presented to the discriminator."""

    name: str = "fashion-mnist"  # a registered dataset: gankit data list shows them
    root: str | None = None
    split: str = "train"
    image_size: int | None = None  # None keeps the native size
    channels: int | None = None  # None keeps the native channel count
    scale: str = "symmetric"  # "symmetric" = [-1, 1] (tanh output), "unit" = [0, 1]
    hflip: bool = False
    rotate_degrees: float = 0.0
    download: bool = False
    synthetic_n: int = 1024
    synthetic_shape: list[int] = field(default_factory=lambda: [3, 32, 32])
    synthetic_classes: int = 10


@dataclass
class NetConfig:
    """One network's backbone options; unused options are ignored by backbones that lack them."""

    arch: str = "dcgan"  # a registered backbone: gankit recipes lists them
    width: int = 64  # base channels (ngf / ndf) or hidden units scale for the MLP
    norm: str = "batch"  # a registered norm (generator: its class-conditional form for projection)
    spectral_norm: bool = False
    dropout: float = 0.0
    activation: str = "relu"  # a registered activation
    bn_momentum: float = 0.1  # PyTorch convention: Keras momentum 0.8 == PyTorch 0.2
    attention_res: int | None = None  # put a self-attention block at this feature-map size


@dataclass
class ModelConfig:
    """Generator, discriminator and how labels condition them."""

    z_dim: int = 100
    conditioning: str = "none"  # a registered conditioning
    embed_dim: int = 100  # ACGAN label embedding size
    # Projection only: the generator also reads one-hot(y) concatenated to z, beside conditional
    # BN. Class-wise BN scales alone learn the class slowly on a CPU budget (see cgan-pd-fashion).
    label_input: bool = False
    generator: NetConfig = field(default_factory=NetConfig)
    discriminator: NetConfig = field(default_factory=lambda: NetConfig(activation="leaky_relu"))


@dataclass
class ObjectiveConfig:
    """Adversarial loss, penalties and auxiliary terms; the trainer never sees the math."""

    loss: str = "nonsaturating"  # a registered adversarial loss
    label_smoothing: float = 0.0  # one-sided: real target = 1 - label_smoothing
    n_critic: int = 1
    gp_weight: float = 0.0  # WGAN-GP lambda
    r1_weight: float = 0.0  # R1 gamma
    # Lazy R1 (StyleGAN2): apply it every k-th discriminator step with weight k * gamma.
    r1_every: int = 1
    weight_clip: float = 0.0  # WGAN clip value; 0 disables
    aux_weight: float = 1.0  # ACGAN class-loss weight
    # ACGAN: also train D's class head on generated images (Odena et al.). False trains it on
    # real images only, so G cannot agree with D on class cues that real images never show.
    aux_d_on_fake: bool = True
    diffaugment: str = ""  # comma list of registered policies (color,translation,cutout); "" = off


@dataclass
class OptimizerConfig:
    """One network's optimizer."""

    name: str = "adam"  # adam | rmsprop
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    weight_decay: float = 0.0


@dataclass
class OptimConfig:
    """Separate optimizers give TTUR for free (different lr for G and D)."""

    generator: OptimizerConfig = field(default_factory=OptimizerConfig)
    discriminator: OptimizerConfig = field(default_factory=OptimizerConfig)
    lr_schedule: str = "constant"  # constant | linear (decay to 0 at the last step)
    # Fraction of the run (steps or wall-clock budget) before the linear decay starts: 0 decays
    # from the first step; 0.5 keeps the full rate for the first half, then anneals to 0.
    lr_decay_start: float = 0.0


@dataclass
class TrainConfig:
    """Length, precision, cadence of logging, sampling, evaluation and checkpoints."""

    batch_size: int = 128
    epochs: float | None = None
    steps: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (CUDA only)
    compile: bool = False
    channels_last: bool = True
    ema: bool = False
    ema_decay: float = 0.999
    ema_start: int = 0
    log_every: int = 50
    sample_every: int = 0  # steps; 0 = once per epoch
    sample_n: int = 64
    fid_every: int = 0  # steps between in-training evaluations; 0 disables them
    fid_n: int = 5000  # generated images per in-training evaluation
    fid_ref: str = "test"  # reference split of the training dataset
    # Registered metric names (gankit.metrics.registry) scored at each in-training evaluation;
    # best.pt follows FID, so keep fid in the list to have one.
    eval_metrics: list[str] = field(default_factory=lambda: ["fid", "kid"])
    # Inception precision of in-training FID: fp32 (exact) or bf16 (about 2x faster where the
    # CPU has native bf16; the reference side stays fp32).
    fid_precision: str = "fp32"
    checkpoint_every: int = 0  # steps; 0 = once per epoch only
    keep_checkpoints: int = 3
    on_divergence: str = "stop"  # stop | rollback
    rollback_lr_factor: float = 0.5
    sync_bn: bool = False
    tensorboard: bool = False


@dataclass
class OutputConfig:
    """Where the run directory goes and what it is called."""

    dir: str | None = None  # default runs/<name>
    name: str | None = None  # default: the recipe name
    recipe: str | None = None  # filled in by the loader


@dataclass
class Config:
    """The whole resolved configuration of a run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    output: OutputConfig = field(default_factory=OutputConfig)


DEFAULT_RECIPE = "dcgan-fashion"

# Keys naming an implementation: the valid names belong to the registry of that kind (see
# gankit.registry), filled by the modules that implement each choice; the config holds no list.
NAMED_CHOICES: dict[str, str] = {
    "objective.loss": "loss",
    "model.conditioning": "conditioning",
    "model.generator.arch": "backbone",
    "model.discriminator.arch": "backbone",
    "model.generator.norm": "norm",
    "model.discriminator.norm": "norm",
    "model.generator.activation": "activation",
    "model.discriminator.activation": "activation",
    "data.name": "dataset",
}

# Keys holding a comma list of names of one registry kind ("" = none).
NAMED_LISTS: dict[str, str] = {
    "objective.diffaugment": "diffaugment",
}

# Keys whose few values are settings of the trainer or data pipeline, not pluggable code.
_CHOICES: dict[str, tuple[str, ...]] = {
    "train.precision": PRECISIONS,
    "train.fid_precision": ("fp32", "bf16"),
    "train.on_divergence": ("stop", "rollback"),
    "data.scale": ("symmetric", "unit"),
    "optim.generator.name": ("adam", "rmsprop"),
    "optim.discriminator.name": ("adam", "rmsprop"),
    "optim.lr_schedule": ("constant", "linear"),
}


# ----------------------------------------------------------------------------- schema walking


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def valid_keys(cls: type = Config, prefix: str = "") -> list[str]:
    """Every dotted key of the schema, leaves only (used for suggestions and docs)."""
    keys: list[str] = []
    for name, tp in _field_types(cls).items():
        dotted = f"{prefix}{name}"
        if dataclasses.is_dataclass(tp):
            keys.extend(valid_keys(tp, dotted + "."))
        else:
            keys.append(dotted)
    return keys


def _suggest(key: str) -> str:
    candidates = valid_keys()
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.4)
    if not match:  # compare the last component too: "train.batchsize" -> "train.batch_size"
        leaf = key.rsplit(".", 1)[-1]
        by_leaf = {c.rsplit(".", 1)[-1]: c for c in candidates}
        leaf_match = difflib.get_close_matches(leaf, list(by_leaf), n=1, cutoff=0.6)
        match = [by_leaf[leaf_match[0]]] if leaf_match else []
    return (
        f"; did you mean '{match[0]}'?"
        if match
        else "; run 'gankit train --dry-run' to see all keys."
    )


def _coerce(key: str, tp: Any, value: Any) -> Any:
    """Convert a YAML / command-line value to the schema type, or raise a ConfigError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        null_words = ("null", "none", "~")
        is_null = value is None or (isinstance(value, str) and value.lower() in null_words)
        if is_null and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _coerce(key, non_none[0], value)
    if origin is list:
        if isinstance(value, str):
            value = yaml.safe_load(value) if value.strip().startswith("[") else value.split(",")
        if not isinstance(value, list | tuple):
            raise ConfigError(f"'{key}' must be a list, got {value!r}.")
        return [_coerce(key, args[0], v) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "true",
            "yes",
            "on",
            "1",
            "false",
            "no",
            "off",
            "0",
        ):
            return value.lower() in ("true", "yes", "on", "1")
        raise ConfigError(f"'{key}' must be true or false, got {value!r}.")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"'{key}' must be an integer, got {value!r}.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value)) if float(value).is_integer() else int(value)
            except ValueError:
                pass
        raise ConfigError(f"'{key}' must be an integer, got {value!r}.")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"'{key}' must be a number, got {value!r}.")
    if tp is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"'{key}' must be a string, got {value!r}.")
    raise ConfigError(f"'{key}' has an unsupported type {tp!r}.")  # pragma: no cover


def _apply(obj: Any, mapping: dict[str, Any], prefix: str = "") -> None:
    types_ = _field_types(type(obj))
    for name, value in mapping.items():
        dotted = f"{prefix}{name}"
        if name not in types_:
            leaf = dotted
            while isinstance(value, dict) and len(value) == 1:  # misspelt section: suggest a leaf
                ((sub, value),) = value.items()
                leaf = f"{leaf}.{sub}"
            raise ConfigError(f"Unknown config key '{leaf}'{_suggest(leaf)}")
        tp = types_[name]
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, dict):
                raise ConfigError(f"'{dotted}' is a section; give it keys, not {value!r}.")
            _apply(getattr(obj, name), value, dotted + ".")
        else:
            setattr(obj, name, _coerce(dotted, tp, value))


def set_key(cfg: Config, dotted: str, value: Any) -> None:
    """Set one dotted key (``train.batch_size``) with type checking."""
    parts = dotted.split(".")
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    _apply(cfg, nested)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` from ``--set``; the value is read as YAML (so 1e-4, true, [0, 0.9])."""
    if "=" not in text:
        raise ConfigError(f"--set expects key=value, got '{text}'.")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


# ----------------------------------------------------------------------------- validation


def all_choices() -> dict[str, tuple[str, ...]]:
    """Every key with a closed set of values -> its valid values (registries included)."""
    named = {key: names_of(kind) for key, kind in {**NAMED_CHOICES, **NAMED_LISTS}.items()}
    return {**named, **_CHOICES}


def validate(cfg: Config) -> Config:
    """Check choices and ranges that the type system cannot express."""
    flat = to_dict(cfg)
    for key, kind in NAMED_CHOICES.items():
        registry_of(kind).check(_get(flat, key), key=key)
    for key, kind in NAMED_LISTS.items():
        for name in str(_get(flat, key)).split(","):
            if name.strip():
                registry_of(kind).check(name.strip(), key=key)
    for key, choices in _CHOICES.items():
        value = _get(flat, key)
        if value not in choices:
            raise ConfigError(f"'{key}' must be one of {', '.join(choices)}; got '{value}'.")
    t, o = cfg.train, cfg.objective
    positive = {
        "train.batch_size": t.batch_size,
        "objective.n_critic": o.n_critic,
        "objective.r1_every": o.r1_every,
        "model.z_dim": cfg.model.z_dim,
        "model.generator.width": cfg.model.generator.width,
        "model.discriminator.width": cfg.model.discriminator.width,
        "train.log_every": t.log_every,
        "train.fid_n": t.fid_n,
        "train.keep_checkpoints": t.keep_checkpoints,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"'{key}' must be positive; got {value}.")
    for key, value in {
        "train.epochs": t.epochs,
        "train.steps": t.steps,
        "train.max_minutes": t.max_minutes,
    }.items():
        if value is not None and value <= 0:
            raise ConfigError(f"'{key}' must be positive or null; got {value}.")
    if not 0.0 <= o.label_smoothing < 1.0:
        raise ConfigError(
            f"'objective.label_smoothing' must be in [0, 1); got {o.label_smoothing}."
        )
    for key, value in {
        "model.generator.dropout": cfg.model.generator.dropout,
        "model.discriminator.dropout": cfg.model.discriminator.dropout,
    }.items():
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"'{key}' must be in [0, 1); got {value}.")
    if not 0.0 <= t.ema_decay < 1.0:
        raise ConfigError(f"'train.ema_decay' must be in [0, 1); got {t.ema_decay}.")
    if not 0.0 <= cfg.optim.lr_decay_start < 1.0:
        raise ConfigError(
            f"'optim.lr_decay_start' must be in [0, 1); got {cfg.optim.lr_decay_start}."
        )
    for net in ("generator", "discriminator"):
        betas = getattr(cfg.optim, net).betas
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ConfigError(f"'optim.{net}.betas' must be two numbers in [0, 1); got {betas}.")
        if getattr(cfg.optim, net).lr <= 0:
            raise ConfigError(f"'optim.{net}.lr' must be positive.")
    if min(o.gp_weight, o.r1_weight, o.weight_clip) < 0:
        raise ConfigError("Penalty weights and the clip value must be >= 0.")
    _check_eval_metrics(t.eval_metrics)
    return cfg


def _check_eval_metrics(names: list[str]) -> None:
    """Ask the metric registry, which owns the names (the one import from a feature package:
    importing it lazily keeps ``gankit.config`` light, see the contract in pyproject.toml)."""
    from gankit.metrics.registry import unknown_metric_sentence

    if not names:
        raise ConfigError("'train.eval_metrics' must name at least one metric, e.g. [fid, kid].")
    problem = unknown_metric_sentence("train.eval_metrics", names)
    if problem is not None:
        raise ConfigError(problem)


def _get(flat: dict[str, Any], dotted: str) -> Any:
    node: Any = flat
    for part in dotted.split("."):
        node = node[part]
    return node


# ----------------------------------------------------------------------------- loading


def to_dict(cfg: Config) -> dict[str, Any]:
    """Plain nested dict (YAML / checkpoint friendly)."""
    return dataclasses.asdict(cfg)


def from_dict(mapping: dict[str, Any]) -> Config:
    """Rebuild a Config from a dict saved in a run or checkpoint, validating every key."""
    cfg = Config()
    _apply(cfg, mapping)
    return validate(cfg)


def dump_yaml(cfg: Config) -> str:
    """The resolved config as YAML, in schema order."""
    return yaml.safe_dump(to_dict(cfg), sort_keys=False, default_flow_style=False)


def recipe_dir() -> Path:
    """Folder of the YAML recipes shipped inside the package."""
    return Path(str(resources.files("gankit") / "recipes"))


def list_recipes() -> dict[str, str]:
    """Recipe name -> its one-line description (the first comment line of the YAML)."""
    out: dict[str, str] = {}
    for path in sorted(recipe_dir().glob("*.yaml")):
        first = ""
        for line in path.read_text().splitlines():
            if line.startswith("#"):
                first = line.lstrip("# ").strip()
                break
        out[path.stem] = first
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file '{path}' does not exist.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config file '{path}' is not valid YAML: {exc}".splitlines()[0]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"Config file '{path}' must hold a mapping of sections.")
    return data


def resolve_recipe(name_or_path: str | None) -> tuple[str, Path]:
    """Map a recipe name or a YAML path to (recipe name, file)."""
    name_or_path = name_or_path or DEFAULT_RECIPE
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise ConfigError(f"Config file '{path}' does not exist.")
        return path.stem, path
    candidate = recipe_dir() / f"{name_or_path}.yaml"
    if candidate.exists():
        return name_or_path, candidate
    names = list(list_recipes())
    close = difflib.get_close_matches(name_or_path, names, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "run 'gankit recipes' to list them."
    raise ConfigError(f"Unknown recipe '{name_or_path}'; {hint}")


def load_config(recipe: str | None = None, overrides: list[str] | None = None) -> Config:
    """Defaults <- recipe YAML (which may ``base:`` another recipe) <- ``--set`` overrides."""
    name, path = resolve_recipe(recipe)
    cfg = Config()
    for layer in _recipe_chain(path):
        _apply(cfg, layer)
    for text in overrides or []:
        key, value = parse_override(text)
        set_key(cfg, key, value)
    cfg.output.recipe = name
    if cfg.output.name is None:
        cfg.output.name = name
    return validate(cfg)


def _recipe_chain(path: Path, seen: tuple[Path, ...] = ()) -> list[dict[str, Any]]:
    """A recipe may start with ``base: other-recipe`` to inherit and override it."""
    if path in seen:
        raise ConfigError(f"Recipe '{path.stem}' inherits from itself through 'base'.")
    data = _read_yaml(path)
    base = data.pop("base", None)
    chain: list[dict[str, Any]] = []
    if base:
        _, base_path = resolve_recipe(str(base))
        chain = _recipe_chain(base_path, (*seen, path))
    return [*chain, data]
