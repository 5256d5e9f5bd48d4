"""What defines a training run: ``TrainConfig`` (validated), the data splits it trains on,
and the seeded streams of its example order and of a rule's state.

Used by ``gtp.engine.training.train`` (which re-exports these names) and every experiment.
"""
import dataclasses

import numpy as np

from ..maths.activations import resolve_activations
from ..maths.initialisation import SCHEMES
from ..maths.targets import START_POINTS
from ..maths.validation import check_tau
from .rules import get_rule, rule_names, studied

__all__ = ["TrainConfig", "OPTIONAL", "ENGINES", "DTYPES", "load_splits", "prepare_data", "state_rng",
           "epoch_order"]

ENGINES = ("fast", "reference")
DTYPES = ("float32", "float64")
#: fields only some rules read (``Rule.hyper``); ``to_dict`` leaves them out while they are
#: None, so the configs (and result files) of the other rules are as before they existed
OPTIONAL = ("eta_hat", "eta_inv", "sigma")


def _integers(name, values):
    """A tuple of integers; 8.9 or "8" is an error naming ``name`` (never rounded)."""
    try:
        vals = list(values)
    except TypeError:
        raise ValueError(f"{name}: expected a sequence of integers, got {values!r}") from None
    for v in vals:
        if isinstance(v, bool) or not (isinstance(v, (int, np.integer)) or
                                       (isinstance(v, (float, np.floating)) and float(v).is_integer())):
            raise ValueError(f"{name}: expected integers, got {v!r} in {tuple(vals)}; give whole numbers")
    return tuple(int(v) for v in vals)


def _numbers(name, v):
    """A float or a list of floats; a string or other non-number is an error naming ``name``."""
    seq = not np.isscalar(v)
    vals = list(v) if seq else [v]
    for x in vals:
        if isinstance(x, (bool, str, bytes)) or not isinstance(x, (int, float, np.number)):
            raise ValueError(f"{name}: expected a number or one number per layer, got {x!r}")
        if not np.isfinite(x):
            raise ValueError(f"{name}: expected finite numbers, got {x!r}")
    return [float(x) for x in vals] if seq else float(vals[0])


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (the record stores ``asdict`` of it).

    dataset: "mnist" | "fashion-mnist" | "cifar-10" (or any name when ``data`` is given).
    sizes: layer sizes (n_0, ..., n_L).  acts: "paper" | "sigmoid" | "relu" | list of L.
    rule: a name of the registry ``gtp.engine.rules`` ("gtp", "backprop").
    start: "zero" | "activation".  tau: scalar or one per
    hidden layer (GTP only; also used for the probe cosines), at most 1e6 with gains
    eta_l prod tau at most float32's largest number (``gtp.maths.validation.check_tau``).  eta: scalar or one per
    weight matrix.  steps: Euler steps.  epochs, batch_size, seed.  init: a scheme of
    ``gtp.init_weights``.  n_train: use only the first n_train training examples (None:
    all).  dtype: "float32" | "float64".  engine: "fast" | "reference".
    n_eval_train: size of the fixed training subset evaluated after every epoch.
    n_probe: number of validation examples in the probe batch of the cosines and angles (0:
    none).  eta_hat, eta_inv, sigma: (difference) target propagation's top-target step,
    inverse learning rate and corruption noise (``gtp.engine.rules.dtp``); None takes the
    rule's default, and they are left out of ``to_dict`` while None.
    """
    dataset: str = "mnist"
    sizes: tuple = (784, 100, 10)
    acts: object = "paper"
    rule: str = studied().name          # the registry's studied rule (GTP)
    start: str = "zero"
    tau: object = 400.0
    eta: object = 0.01
    steps: int = 1
    epochs: int = 10
    batch_size: int = 1
    seed: int = 0
    init: str = "paper"
    n_train: object = None
    dtype: str = "float32"
    engine: str = "fast"
    n_eval_train: int = 10000
    n_probe: int = 256
    eta_hat: object = None
    eta_inv: object = None
    sigma: object = None

    def __post_init__(self):
        self.sizes = _integers("sizes", self.sizes)
        if not isinstance(self.acts, str):
            self.acts = list(self.acts)
        for name in ("tau", "eta"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, _numbers(name, v))
        if self.rule in rule_names():
            for name, value in get_rule(self.rule).defaults:
                if getattr(self, name) is None:
                    setattr(self, name, value)
        for name in OPTIONAL:
            v = getattr(self, name)
            if v is not None and not isinstance(v, bool) and isinstance(v, (int, float, np.number)):
                setattr(self, name, float(v))
        self.validate()

    def validate(self):
        """Raise ValueError naming the field for an invalid configuration."""
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes: expected at least two positive layer sizes, got {self.sizes}")
        L = len(self.sizes) - 1
        resolve_activations(self.acts, L)
        choices = {"rule": rule_names(), "start": START_POINTS, "init": SCHEMES, "dtype": DTYPES,
                   "engine": ENGINES}
        for name, ok in choices.items():
            if getattr(self, name) not in ok:
                raise ValueError(f"{name}: expected one of {ok}, got {getattr(self, name)!r}")
        for name in ("steps", "epochs", "batch_size", "seed", "n_eval_train", "n_probe"):
            v = getattr(self, name)
            lo = 0 if name in ("seed", "epochs", "n_eval_train", "n_probe") else 1
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name}: expected an integer >= {lo}, got {v!r}")
        if self.n_train is not None and (not isinstance(self.n_train, (int, np.integer))
                                         or self.n_train < 1):
            raise ValueError(f"n_train: expected None or an integer >= 1, got {self.n_train!r}")
        if get_rule(self.rule).uses("tau") and self.tau is None:
            raise ValueError(f"tau: the rule {self.rule!r} needs a tau (scalar or one per hidden "
                             f"layer)")
        if self.eta is None:
            raise ValueError("eta: expected a learning rate (scalar or one per weight matrix)")
        if self.tau is not None:            # the probe cosines read tau whatever the rule
            check_tau(self.tau, L, self.eta if get_rule(self.rule).uses("tau") else None)
        rule = get_rule(self.rule)
        for name in OPTIONAL:
            v = getattr(self, name)
            if not rule.uses(name):
                continue
            lo = "0" if name == "sigma" else "0 (exclusive)"
            if not isinstance(v, float) or not np.isfinite(v) or v < 0 or (v == 0 and name != "sigma"):
                raise ValueError(f"{name}: the rule {self.rule!r} needs a finite number >= {lo}, "
                                 f"got {v!r}")

    def to_dict(self):
        d = dataclasses.asdict(self)
        for name in OPTIONAL:
            if d[name] is None:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d):
        """Build a config from a dict; an unknown key (e.g. a typo, ``epoch``) is an error
        naming it and the closest field, never silently dropped."""
        import difflib
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in d if k not in names]
        if unknown:
            hints = [f"{k!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, names, 1))
                                 else "") for k in unknown]
            raise ValueError(f"config: unknown key(s) {', '.join(hints)}; the fields of TrainConfig are "
                             f"{', '.join(names)}")
        return cls(**d)


# --------------------------------------------------------------------------- data
def load_splits(dataset, dtype=np.float32):
    """Train, validation and test splits of a data set from ``gtp.data.load``.

    Returns ``{"train": (X, y), "validation": (X, y), "test": (X, y)}`` with C-contiguous
    inputs of ``dtype`` and int64 labels.
    """
    from .. import data  # imported here: only needed when the caller gives no data
    return {split: data.load(dataset, split=split, dtype=dtype)
            for split in ("train", "validation", "test")}


def prepare_data(data, cfg):
    """Check the data dict, cast it, and apply ``n_train``."""
    dtype = np.dtype(cfg.dtype)
    out = {}
    for split in ("train", "validation", "test"):
        if split not in data or data[split] is None:
            if split == "test":
                out[split] = None
                continue
            raise ValueError(f"data: missing the {split!r} split (a pair (X, y))")
        X, y = data[split]
        X, y = np.asarray(X), np.asarray(y)
        where = f"data[{split!r}]"
        if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)) \
                or X.dtype == bool:
            raise ValueError(f"{where}: expected numeric inputs X, got dtype {X.dtype}")
        if np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"{where}: inputs X are integers ({X.dtype}, e.g. pixels 0-255); the network "
                             f"expects floats in [0, 1]: pass X / 255 (gtp.data.load does this)")
        X = np.ascontiguousarray(X, dtype=dtype)
        if X.ndim != 2 or X.shape[1] != cfg.sizes[0] or y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"{where}: expected X of shape (n, {cfg.sizes[0]}) and n "
                             f"labels, got {X.shape} and {y.shape}")
        if len(X) == 0:
            raise ValueError(f"{where}: the split is empty (0 examples); give at least one example")
        if not np.isfinite(X).all():
            bad = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(f"{where}: inputs X hold NaN or infinite values (first at row {bad[0]}, "
                             f"column {bad[1]}); clean or impute them first")
        if X.min() < -1e3 or X.max() > 1e3:
            raise ValueError(f"{where}: inputs X range from {X.min():g} to {X.max():g}; scale them "
                             f"(e.g. to [0, 1]) first")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.issubdtype(y.dtype, np.floating) or not np.all(np.mod(y, 1) == 0):
                raise ValueError(f"{where}: labels must be integer class indices, got dtype {y.dtype}"
                                 + (f" with non-integer values such as {float(y[np.mod(y, 1) != 0][0]):g}"
                                    if np.issubdtype(y.dtype, np.floating) else "")
                                 + "; pass whole class numbers 0.. (never rounded for you)")
        y = y.astype(np.int64)
        if y.min() < 0 or y.max() >= cfg.sizes[-1]:
            raise ValueError(f"{where}: labels must lie in 0..{cfg.sizes[-1] - 1} (the output layer), "
                             f"got {y.min()}..{y.max()}")
        out[split] = (X, y)
    if cfg.n_train is not None:
        X, y = out["train"]
        out["train"] = (X[:cfg.n_train], y[:cfg.n_train])
    return out


def state_rng(seed):
    """The generator of a rule's initial state (feedback matrices, inverses, the noise
    generator): ``numpy.random.default_rng([seed, 0, 1])``, a stream that neither the
    weights (``default_rng(seed)``) nor the epoch orders (``[seed, e]``, e >= 1) use.
    (Not ``[seed, 0]``: ``SeedSequence`` pads its entropy with zeros, so ``[seed, 0]``
    gives the weights' own stream, and feedback alignment's B would start equal to W^T.)"""
    return np.random.default_rng([int(seed), 0, 1])


def epoch_order(seed, epoch, n):
    """The visiting order of epoch ``epoch`` (1, 2, ...): a permutation of range(n) drawn
    from ``numpy.random.default_rng([seed, epoch])``."""
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)
