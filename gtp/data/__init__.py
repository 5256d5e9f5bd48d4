"""The data sets of the paper: MNIST, Fashion-MNIST and CIFAR-10, one call each.

>>> from gtp import data
>>> X, y = data.load("mnist", "train")        # (50000, 784) float32 in [0, 1], int64 labels
>>> data.class_names("cifar-10")[:3]
['airplane', 'automobile', 'bird']

Splits: ``train`` is the first 50,000 images of the official training set (CIFAR-10: 45,000),
``validation`` the rest (10,000; CIFAR-10: the last 5,000, the second half of ``data_batch_5``),
``test`` the official test set; ``train+validation`` is the whole official training set.

Files come from, in order: the cache folder (:func:`cache_dir`: ``$GTP_DATA_DIR``, ``<repo>/data``
in a checkout, else ``~/.cache/gtp``), the folders of ``$GTP_DATA_MIRROR`` (laid out as
``<folder>/<data set>/<official file name>``), then the official hosts (verified downloads).
The first load parses the files into a self-checking cache; later loads memory-map it.
See ``data/README.md`` for sources, checksums, licences and citations.

Modules: :mod:`~gtp.data.registry` (what the files are), :mod:`~gtp.data.formats` (IDX and
CIFAR-10 binary parsers), :mod:`~gtp.data.download` (verified downloads), :mod:`~gtp.data.cache`
(the parsed cache), :mod:`~gtp.data.loader` (the order of sources and the public functions).
"""
from .download import DOWNLOAD_POLICY, DownloadPolicy
from .errors import ChecksumError, DataError, DataFormatError, DownloadError
from .loader import (
                     ENV_DIR,
                     ENV_MIRROR,
                     DataWarning,
                     cache_dir,
                     cache_info,
                     cache_path,
                     class_names,
                     fetch,
                     load,
                     load_uint8,
                     mirror_dirs,
)
from .registry import DATASETS, SPLITS, Dataset, RemoteFile

__all__ = ["load", "load_uint8", "class_names", "fetch", "cache_dir", "cache_path", "cache_info",
           "mirror_dirs", "DATASETS", "SPLITS", "Dataset", "RemoteFile", "DownloadPolicy",
           "DOWNLOAD_POLICY", "DataError", "DataFormatError", "ChecksumError", "DownloadError",
           "DataWarning", "ENV_MIRROR", "ENV_DIR"]
