"""Exceptions of the data module."""


class DataError(RuntimeError):
    """A data set could not be obtained or read."""


class DataFormatError(DataError):
    """A file does not have the structure of the official format (magic, counts, sizes, labels)."""


class ChecksumError(DataError):
    """A downloaded file does not match its published checksum."""


class DownloadError(DataError):
    """Every source of a file failed; the message says what was tried and how to work offline."""
