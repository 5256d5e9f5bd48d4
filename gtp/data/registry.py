"""The three data sets of the paper: official files, where to get them, how to check them.

Every entry of :data:`DATASETS` names the official distribution files with their published
sizes and checksums, the hosts to download them from (tried in order), the classes, the
licence and the citation. The sizes of the official parts (``n_train``, ``n_test``) and of the
validation split are fields too, so that the loader checks files against them and the tests
can run the same code on tiny synthetic copies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

#: accepted values of ``split`` (``"train+validation"`` is the whole official training set)
SPLITS = ("train", "validation", "test", "train+validation")


@dataclass(frozen=True)
class RemoteFile:
    """One official distribution file.

    ``role`` says what it holds: ``train_images``, ``train_labels``, ``test_images``,
    ``test_labels`` (IDX files) or ``archive`` (the CIFAR-10 binary tarball).
    """
    name: str
    role: str
    size: int
    md5: Optional[str] = None
    sha256: Optional[str] = None


@dataclass(frozen=True)
class Dataset:
    """An entry of :data:`DATASETS`.

    ``urls`` are base URLs (ending in ``/``) tried in order; a file's URL is base + file name.
    ``image_shape`` is the shape of one image as stored: ``(28, 28)`` for IDX data,
    ``(3, 32, 32)`` (channel-planar R, G, B) for CIFAR-10; features are the flattened image.
    ``n_validation`` images at the end of the official training set form the validation split.
    """
    name: str
    title: str
    format: str                     # "idx" or "cifar-binary"
    files: Tuple[RemoteFile, ...]
    urls: Tuple[str, ...]
    image_shape: Tuple[int, ...]
    classes: Tuple[str, ...]
    n_train: int                    # size of the official training set
    n_test: int                     # size of the official test set
    n_validation: int               # last n_validation of the official training set
    homepage: str
    licence: str
    citation: str

    @property
    def n_features(self) -> int:
        n = 1
        for d in self.image_shape:
            n *= d
        return n

    def split_range(self, split: str):
        """``(part, start, stop)``: which official part (``"train"``/``"test"``) and rows a split is."""
        n_fit = self.n_train - self.n_validation
        ranges = {"train": ("train", 0, n_fit),
                  "validation": ("train", n_fit, self.n_train),
                  "train+validation": ("train", 0, self.n_train),
                  "test": ("test", 0, self.n_test)}
        if split not in ranges:
            raise ValueError(f"split: expected one of {', '.join(repr(s) for s in SPLITS)}, got {split!r}")
        return ranges[split]


_IDX_NAMES = (("train-images-idx3-ubyte.gz", "train_images"), ("train-labels-idx1-ubyte.gz", "train_labels"),
              ("t10k-images-idx3-ubyte.gz", "test_images"), ("t10k-labels-idx1-ubyte.gz", "test_labels"))


def _idx_files(checksums):
    return tuple(RemoteFile(name, role, size, md5=md5)
                 for (name, role), (size, md5) in zip(_IDX_NAMES, checksums))


MNIST = Dataset(
    name="mnist", title="MNIST", format="idx",
    # Official MD5 of the original .gz files (the same on every mirror below).
    files=_idx_files([(9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                      (28881, "d53e105ee54ea40749a09fcbcd1e9432"),
                      (1648877, "9fb629c4189551a2d022fa330f9573f3"),
                      (4542, "ec29112dd5afa0611ce80d1b7f02629c")]),
    # Maintained mirrors first: the original host often refuses scripted downloads.
    urls=("https://ossci-datasets.s3.amazonaws.com/mnist/",
          "https://storage.googleapis.com/cvdf-datasets/mnist/",
          "http://yann.lecun.com/exdb/mnist/"),
    image_shape=(28, 28), classes=tuple(str(d) for d in range(10)),
    n_train=60000, n_test=10000, n_validation=10000,
    homepage="http://yann.lecun.com/exdb/mnist/",
    licence="CC BY-SA 3.0",
    citation="Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, Gradient-based learning applied to "
             "document recognition, Proceedings of the IEEE 86(11):2278-2324, 1998.",
)

FASHION_MNIST = Dataset(
    name="fashion-mnist", title="Fashion-MNIST", format="idx",
    # MD5 as published in the zalandoresearch/fashion-mnist README.
    files=_idx_files([(26421880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                      (29515, "25c81989df183df01b3e8a0aad5dffbe"),
                      (4422102, "bef4ecab320f06d8554ea6380940ec79"),
                      (5148, "bb300cfdad3c16e7a12a480ee83cd310")]),
    urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    image_shape=(28, 28),
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    n_train=60000, n_test=10000, n_validation=10000,
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    licence="MIT",
    citation="H. Xiao, K. Rasul and R. Vollgraf, Fashion-MNIST: a novel image dataset for "
             "benchmarking machine learning algorithms, arXiv:1708.07747, 2017.",
)

CIFAR10 = Dataset(
    name="cifar-10", title="CIFAR-10", format="cifar-binary",
    # The *binary version*: fixed-size records, so nothing is ever unpickled.
    files=(RemoteFile("cifar-10-binary.tar.gz", "archive", 170052171,
                      md5="c32a1d4ab5d03f1284b67883e8d87530"),),
    urls=("https://www.cs.toronto.edu/~kriz/",),
    image_shape=(3, 32, 32),
    classes=("airplane", "automobile", "bird", "cat", "deer",
             "dog", "frog", "horse", "ship", "truck"),
    n_train=50000, n_test=10000, n_validation=5000,
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    licence="no explicit licence; free to use with the citation below (see the homepage)",
    citation="A. Krizhevsky, Learning multiple layers of features from tiny images, "
             "technical report, University of Toronto, 2009.",
)

#: name -> :class:`Dataset`, the data sets :func:`gtp.data.load` accepts
DATASETS = {ds.name: ds for ds in (MNIST, FASHION_MNIST, CIFAR10)}


def get_dataset(name: str) -> Dataset:
    """The registry entry of ``name``; ``ValueError`` naming the accepted names otherwise."""
    if name not in DATASETS:
        raise ValueError(f"name: expected one of {', '.join(repr(n) for n in DATASETS)}, got {name!r}")
    return DATASETS[name]
