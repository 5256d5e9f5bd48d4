"""The learning-rule registry: one entry per rule, read by the engine (``gtp.engine.kernels``,
``gtp.engine.training``), the panels, the figures, the reports and the runner.

``gtp/maths/updates.py`` holds the *maths* of eq. 5 (reference functions, written for reading);
this package says which rules exist and how the fast engine runs each one.  A rule is one
module here exporting ``RULE``, a :class:`Rule` with

* ``name`` (the value of ``TrainConfig.rule`` and of result files), ``label`` and
  ``colour`` (how the book shows it: the one source of a rule's colour in every figure; any
  two rules' colours are far apart, tests/test_rule_colours.py), ``hyper`` (the ``TrainConfig`` fields it reads:
  e.g. GTP reads ``tau``, ``steps`` and ``start``, backprop none of them);
* ``reference_step(W, x, label, cfg)``: the update with the reference functions (in place);
* ``hidden_deltas(net, labels)``: the fast kernel.  ``gtp.engine.kernels.FastNet`` has run the
  forward pass and written the output layer's delta ``net.d[L-1]``; the kernel writes the
  deltas of the hidden layers ``net.d[0..L-2]``.  One kernel serves one example (1-D
  buffers, ``labels`` an int) and a mini-batch (2-D buffers, an array): it reads the buffer
  lists ``net.z``, ``net.y``, ``net.fp``, ``net.yhat``, ``net.d`` and uses only the layer
  operations ``net.forward_layer``, ``net.back``, ``net.acts``, ``net.one_hot`` and
  ``net.scratch`` (which call ``?gemv`` or ``?gemm``), so it is written once;
* ``choices``: the variants a panel offers (label, changes to the config);
* ``search``: a :class:`SearchSpace`, what the equal-budget protocol (``gtp.experiments.protocol_v2``)
  tunes for this rule on the validation split (``None``: the rule is not in the protocol);
* ``signal``: what diverges when it diverges ("target", "gradient"), for the messages;
* ``part``: the part of the book that presents it ("training": GTP and the baseline of the
  v2 protocol; "relatives": the credit-assignment rules GTP is compared with);
* ``deltas(W, x, label, cfg, state)``: the rule's error signals d_0..d_{L-1} written for
  reading (the update direction of ``W[l]`` is ``d[l] y_l^T``), returned with the forward
  pass as ``(zs, ys, d)``; ``gtp.engine.probes.layer_angles`` compares them with backprop's.

Rules with state (fixed random feedback matrices, learned inverses) add
* ``init_state(sizes, rng, cfg)``: a dict of named arrays (and at most one
  ``numpy.random.Generator`` under ``"rng"``) drawn from ``rng`` (the run's state stream,
  ``gtp.engine.training.state_rng``), in the dtype ``cfg.dtype``;
* ``update_state(net, X)``: the fast kernel's update of learned state (e.g. the inverses),
  called after the deltas are found finite and before the weights change, with the weights
  of the step; it reads ``net.state`` and uses ``net.apply``, ``net.outer_update`` besides the
  operations above.  ``hidden_deltas`` reads ``net.state`` too;
* ``reference_step(W, x, label, cfg, state)``: the reference step receives the state (and
  updates learned state in place).  :meth:`Rule.reference` calls either form.
* ``defaults``: ``{TrainConfig field: value}`` filled in when the config leaves it None.

Adding a rule = one module, its tests, and its name in ``_MODULES`` below (see
CONTRIBUTING.md for a worked example); :func:`register` adds one at run time (tests).

Two parts, two tables: ``RULES`` holds the rules of the Training part (GTP and backprop:
what the training panel, the tables of the paper's rows and the v2 protocol list), and
``RELATIVES`` those of the part "GTP among its relatives" (feedback alignment, direct
feedback alignment, target propagation, difference target propagation).  :func:`get_rule`
and :func:`rule_names` see both; :func:`rules_of` lists one part.
"""
import dataclasses
import importlib

__all__ = ["Rule", "SearchSpace", "RULES", "RELATIVES", "register", "get_rule", "rule_names", "baseline",
           "studied", "log_centre", "rules_of"]


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """What the protocol searches for one rule (``gtp.experiments.protocol_v2``, results/v2/README.md).

    * ``space(row)``: round-1 ranges ``{name: (lo, hi, log)}`` for a row of Tables 1-3
      (``log``: the range is in log10);
    * ``layer_etas(L, params)``: the per-layer learning rates eta_0..eta_{L-1} of a point;
    * ``anchor(row, ranges)``: the first point of round 1 (without the activations);
    * ``config``: the parameters copied into the run's config besides ``acts`` and ``eta``;
    * ``published(row)``: the published or conventional settings protocol v3 trains beside
      the search's best trials at the final horizon: ``[(label, params), ...]`` (params with
      ``acts``), empty where no paper gives a setting that applies to the row.
    """
    space: object
    layer_etas: object
    anchor: object
    config: tuple = ()
    published: object = None

    def anchors(self, row):
        """``published(row)``, or ``[]`` when the rule has none."""
        return list(self.published(row)) if self.published is not None else []


def log_centre(ranges):
    """The centre of every range of ``ranges`` (``{name: (lo, hi, log)}``), as values."""
    return {name: float(10 ** ((lo + hi) / 2)) if log else float((lo + hi) / 2)
            for name, (lo, hi, log) in ranges.items()}


@dataclasses.dataclass(frozen=True)
class Rule:
    """One learning rule (see the module docstring for the fields)."""
    name: str
    label: str
    colour: str
    hyper: tuple
    reference_step: object
    hidden_deltas: object
    signal: str = "target"
    choices: tuple = ()          # ((key, label, changes), ...) offered by the training panel
    baseline: bool = False       # the rule every other is compared with (backprop)
    search: object = None        # SearchSpace of the equal-budget protocol, or None
    doc: str = ""
    part: str = "training"       # "training" (GTP, backprop) or "relatives"
    deltas: object = None        # deltas(W, x, label, cfg, state) -> (zs, ys, d), for reading
    init_state: object = None    # init_state(sizes, rng, cfg) -> dict, for rules with state
    update_state: object = None  # update_state(net, X): fast update of learned state
    defaults: tuple = ()         # ((TrainConfig field, value), ...) used when the field is None

    def uses(self, field):
        """Whether this rule reads the ``TrainConfig`` field ``field`` (e.g. "tau")."""
        return field in self.hyper

    @property
    def short(self):
        """The rule's name in tight spaces (axis ticks, table cells): "GTP", "FA", ...,
        "backprop"."""
        return self.name if self.baseline else self.name.upper()

    @property
    def stateful(self):
        """Whether the rule carries state (``init_state``) besides the weights."""
        return self.init_state is not None

    def new_state(self, sizes, rng, cfg):
        """The rule's initial state (``{}`` for a stateless rule)."""
        return {} if self.init_state is None else self.init_state(tuple(sizes), rng, cfg)

    def reference(self, W, x, label, cfg, state=None):
        """One reference step in place: ``reference_step`` with the state if the rule has one."""
        if self.init_state is None:
            return self.reference_step(W, x, label, cfg)
        return self.reference_step(W, x, label, cfg, state)


#: the modules of this package that define a rule, in the order the book lists them
_MODULES = ("gtp", "backprop", "fa", "dfa", "dtp", "tp")

#: the rules of the Training part (GTP, backprop), in the order the book lists them
RULES = {}
#: the rules of the part "GTP among its relatives"
RELATIVES = {}
_PARTS = {"training": RULES, "relatives": RELATIVES}


def register(rule, replace=False):
    """Add ``rule`` to the registry, in the table of its part (``replace=True`` to overwrite
    an entry of that name)."""
    if not isinstance(rule, Rule):
        raise TypeError(f"rule: expected a gtp.engine.rules.Rule, got {type(rule).__name__}")
    if rule.part not in _PARTS:
        raise ValueError(f"rule {rule.name!r}: part must be one of {tuple(_PARTS)}, got {rule.part!r}")
    if (rule.name in RULES or rule.name in RELATIVES) and not replace:
        raise ValueError(f"rule {rule.name!r} is already registered; pass replace=True or "
                         f"choose another name")
    for table in _PARTS.values():
        table.pop(rule.name, None)
    _PARTS[rule.part][rule.name] = rule
    return rule


def get_rule(name):
    """The registered rule called ``name`` (either part); ``ValueError`` listing the known
    rules otherwise."""
    try:
        return RULES[name] if name in RULES else RELATIVES[name]
    except (KeyError, TypeError):
        raise ValueError(f"rule: expected one of {rule_names()}, got {name!r}") from None


def rule_names():
    """Names of every registered rule (the Training part's, then the relatives'), a tuple."""
    return tuple(RULES) + tuple(RELATIVES)


def baseline():
    """The baseline rule (backprop): the one other rules are compared with."""
    return next(r for r in RULES.values() if r.baseline)


def rules_of(part):
    """Names of the registered rules of a book part ("training" or "relatives"), in order."""
    if part not in _PARTS:
        raise ValueError(f"part: expected one of {tuple(_PARTS)}, got {part!r}")
    return tuple(_PARTS[part])


def studied():
    """The rule the book studies: the first rule of the registry that is not the baseline."""
    return next(r for r in RULES.values() if not r.baseline)


for _m in _MODULES:
    register(importlib.import_module(f"{__name__}.{_m}").RULE)
