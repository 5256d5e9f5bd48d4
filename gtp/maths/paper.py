"""The paper's data: the 16 rows of Tables 1-3 (network, tau, eta, reported test accuracy)
and what its settings mean layer by layer.

Everything here is *printed* in Farias & Maziero (2018), section 4, or follows from it by
the book's own algebra; nothing is measured.  Open it next to Tables 1-3.

Where the measured numbers are stored is the engine's business (``gtp.engine.records``).
"""
import dataclasses

from .decomposition import layer_gains

__all__ = ["Row", "ROWS", "TABLE_NAMES", "rows_of", "find_row"]

#: the data set of each table
TABLE_NAMES = {1: "MNIST", 2: "Fashion-MNIST", 3: "CIFAR-10"}


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of Tables 1-3: data set, layer sizes, test accuracy printed (percent), tau, eta."""
    table: int
    dataset: str
    sizes: tuple
    paper: float      # test accuracy printed in the paper, percent
    tau: float
    eta: float

    @property
    def net(self):
        return "-".join(map(str, self.sizes))

    @property
    def gains(self):
        """Per-layer gains eta tau^(L-1-l) of the printed settings (``decomposition.layer_gains``)."""
        return layer_gains(len(self.sizes) - 1, self.tau, self.eta)


ROWS = [
    Row(1, "mnist", (784, 100, 10), 97.21, 400, 0.01),
    Row(1, "mnist", (784, 200, 10), 97.5, 400, 0.01),
    Row(1, "mnist", (784, 500, 10), 97.81, 400, 0.01),
    Row(1, "mnist", (784, 100, 100, 10), 97.31, 50, 0.001),
    Row(1, "mnist", (784, 500, 500, 10), 98.23, 50, 0.001),
    Row(1, "mnist", (784, 500, 500, 500, 10), 98.23, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 100, 10), 87.03, 100, 0.01),
    Row(2, "fashion-mnist", (784, 500, 10), 87.29, 100, 0.01),
    Row(2, "fashion-mnist", (784, 100, 100, 10), 87.71, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 500, 500, 10), 87.77, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 100, 100, 100, 10), 87.92, 25, 0.000025),
    Row(3, "cifar-10", (3072, 100, 10), 42.30, 50, 0.001),
    Row(3, "cifar-10", (3072, 500, 10), 44.74, 50, 0.001),
    Row(3, "cifar-10", (3072, 100, 100, 10), 44.89, 50, 0.0001),
    Row(3, "cifar-10", (3072, 500, 500, 10), 47.06, 50, 0.0001),
    Row(3, "cifar-10", (3072, 500, 500, 500, 10), 47.11, 50, 0.000005),
]


def rows_of(tables):
    """The rows of the given tables (1, 2, 3), in the paper's order."""
    return [r for r in ROWS if r.table in set(tables)]


def find_row(dataset, sizes):
    """The row of ``dataset`` with layer ``sizes``; ``ValueError`` naming the choices if none."""
    for r in ROWS:
        if r.dataset == dataset and tuple(r.sizes) == tuple(sizes):
            return r
    known = ", ".join(f"{r.dataset} {r.net}" for r in ROWS)
    raise ValueError(f"no row of Tables 1-3 for {dataset} {'-'.join(map(str, sizes))}; rows: {known}")
