"""The training engine: the rule registry, the fast kernels and the training loop.

``rules`` is the registry of learning rules (one module per rule: its reference step written
with ``gtp.maths`` and its fast kernel), ``kernels`` the buffered float32 path that runs them,
``training`` the checkpointed, resumable loop (``train(TrainConfig(...))``), ``train_config``
its validated configuration, ``probes`` the angles and cosines to backprop measured while
training, and ``records`` the result files a run writes (atomic JSON, provenance).

May import: ``gtp.maths``, ``gtp.data`` and other ``gtp.engine`` modules.
"""
