"""Tests of gtp.data: formats, verified downloads, retries, mirrors, the parsed cache, real data.

The synthetic tests run the real loader on tiny IDX files and CIFAR-10 binary archives made
here, served by a local HTTP server on 127.0.0.1 or placed in a temporary mirror folder; no
test touches the internet. The real-data tests read the project's local mirror
($GTP_DATA_MIRROR, else ../shared/datasets beside the repository) into a fresh cache folder.
"""
import dataclasses
import gzip
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import gtp.data as data
from gtp.data import DataFormatError, DataWarning, DownloadError, cache, formats, loader, registry

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ synthetic official files
def idx_bytes(arr):
    """Encode a uint8 array in LeCun's IDX format."""
    arr = np.asarray(arr, np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    return head + arr.tobytes()


def gz(payload, level=9):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0) as f:
        f.write(payload)
    return buf.getvalue()


def cifar_tar(train_x, train_y, test_x, test_y, classes, skip=()):
    """A CIFAR-10 *binary version* archive: 5 training batches, a test batch, the class list."""
    def records(x, y):
        return np.concatenate([np.asarray(y, np.uint8)[:, None], x], axis=1).tobytes()
    members = {f"data_batch_{b + 1}.bin": records(xb, yb)
               for b, (xb, yb) in enumerate(zip(np.split(train_x, 5), np.split(train_y, 5)))}
    members["test_batch.bin"] = records(test_x, test_y)
    members["batches.meta.txt"] = ("\n".join(classes) + "\n\n").encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, payload in members.items():
            if name in skip:
                continue
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def md5(b):
    return hashlib.md5(b).hexdigest()


class Tiny:
    """A tiny stand-in for a registry entry: the real spec with small counts, its official files
    made here (``files``: name -> bytes) and the arrays they hold."""

    def __init__(self, name="mnist", n_train=30, n_test=10, n_validation=10, seed=0):
        real = registry.DATASETS[name]
        rng = np.random.default_rng(seed)
        k = len(real.classes)
        self.arrays = {
            "train_images": rng.integers(0, 256, (n_train, real.n_features), dtype=np.uint8),
            "train_labels": (np.arange(n_train) % k).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, real.n_features), dtype=np.uint8),
            "test_labels": ((np.arange(n_test) * 3) % k).astype(np.uint8),
        }
        self.arrays["train_images"][0, :3] = [0, 255, 128]   # both ends of the pixel range
        a = self.arrays
        if real.format == "idx":
            self.files = {f.name: gz(idx_bytes(a[f.role].reshape((-1,) + real.image_shape)
                                               if f.role.endswith("images") else a[f.role]))
                          for f in real.files}
        else:
            self.files = {"cifar-10-binary.tar.gz": cifar_tar(a["train_images"], a["train_labels"],
                                                              a["test_images"], a["test_labels"], real.classes)}
        roles = {f.name: f.role for f in real.files}
        self.spec = dataclasses.replace(
            real, n_train=n_train, n_test=n_test, n_validation=n_validation,
            files=tuple(registry.RemoteFile(n, roles[n], len(b), md5=md5(b)) for n, b in self.files.items()))

    def with_urls(self, *urls):
        self.spec = dataclasses.replace(self.spec, urls=tuple(urls))
        return self

    def write_mirror(self, folder, files=None):
        d = Path(folder) / self.spec.name
        d.mkdir(parents=True, exist_ok=True)
        for n, b in (files or self.files).items():
            (d / n).write_bytes(b)
        return Path(folder)


# ------------------------------------------------------------------ a local HTTP server
class Server:
    """Serves scripted responses: ``routes[path]`` is a list of actions consumed one per request
    (the last one repeats): ``("ok", bytes)``, ``("status", code)``, ``("truncate", bytes, n)``."""

    def __init__(self):
        self.routes, self.hits, self.lock = {}, {}, threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with server.lock:
                    server.hits[self.path] = server.hits.get(self.path, 0) + 1
                    actions = server.routes.get(self.path, [("status", 404)])
                    action = actions.pop(0) if len(actions) > 1 else actions[0]
                if action[0] == "status":
                    self.send_error(action[1])
                    return
                body = action[1]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if action[0] == "ok" else body[:action[2]])
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, prefix, files):
        for n, b in files.items():
            self.routes[f"{prefix}/{n}"] = [("ok", b)]


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def sleeps(monkeypatch):
    """Fast, recorded back-off: 2 retries, base delay 0.5 s (not actually slept)."""
    record = []
    policy = data.DOWNLOAD_POLICY
    for field, value in {"retries": 2, "backoff": 0.5, "max_backoff": 60.0, "timeout": 5.0,
                         "progress": False, "sleep": record.append}.items():
        monkeypatch.setattr(policy, field, value)
    return record


@pytest.fixture
def isolated(monkeypatch, tmp_path, sleeps):
    """No mirror, a fresh cache folder, a fresh registry entry per test."""
    monkeypatch.delenv(data.ENV_MIRROR, raising=False)
    monkeypatch.delenv(data.ENV_DIR, raising=False)
    return tmp_path / "cache"


def use(monkeypatch, tiny):
    monkeypatch.setitem(registry.DATASETS, tiny.spec.name, tiny.spec)
    return tiny.spec.name


def free_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"   # closed once we return: refuses connections


def check_matches(tiny, root, name=None):
    """Every split of the cached copy equals the tiny data set's arrays divided by 255."""
    name = name or tiny.spec.name
    a, n_fit = tiny.arrays, tiny.spec.n_train - tiny.spec.n_validation
    expected = {"train": (a["train_images"][:n_fit], a["train_labels"][:n_fit]),
                "validation": (a["train_images"][n_fit:], a["train_labels"][n_fit:]),
                "test": (a["test_images"], a["test_labels"]),
                "train+validation": (a["train_images"], a["train_labels"])}
    for split, (x8, y) in expected.items():
        X, Y = data.load(name, split, root=root)
        assert X.dtype == np.float32 and Y.dtype == np.int64
        np.testing.assert_array_equal(X, x8.astype(np.float32) / np.float32(255))
        np.testing.assert_array_equal(Y, y)


# ------------------------------------------------------------------ formats
def test_idx_parser_checks_structure():
    img = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)
    np.testing.assert_array_equal(formats.parse_idx(idx_bytes(img), (2, 28, 28)), img)
    labels = np.array([3, 9], np.uint8)
    np.testing.assert_array_equal(formats.parse_idx(idx_bytes(labels), (2,), 10), labels)
    good = idx_bytes(img)
    cases = {"magic": b"\x00\x00\x0d\x03" + good[4:],          # float type code
             "dimensions": idx_bytes(img[:1]),                   # count 1, expected 2
             "bytes": good[:-5]}                                 # truncated payload
    for what, blob in cases.items():
        with pytest.raises(DataFormatError, match=what):
            formats.parse_idx(blob, (2, 28, 28))
    with pytest.raises(DataFormatError, match="IDX magic"):
        formats.parse_idx(idx_bytes(labels), (2, 28, 28))       # a label file where images belong
    with pytest.raises(DataFormatError, match="labels must lie in 0..9"):
        formats.parse_idx(idx_bytes(np.array([3, 10], np.uint8)), (2,), 10)


def test_truncated_gzip_is_a_format_error(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(gz(idx_bytes(np.zeros((5, 28, 28), np.uint8)))[:-10])
    with pytest.raises(DataFormatError, match="gzip"):
        formats.read_gzip(p)


def test_cifar_parser_keeps_planar_order_and_checks_records(tmp_path):
    tiny = Tiny("cifar-10", n_train=20, n_test=5, n_validation=4)
    p = tmp_path / "c.tar.gz"
    p.write_bytes(tiny.files["cifar-10-binary.tar.gz"])
    out = formats.parse_cifar_archive(tiny.spec, p)
    for k, v in tiny.arrays.items():
        np.testing.assert_array_equal(out[k], v)
    # record layout: the label byte, then 1024 red, 1024 green, 1024 blue values
    x, y = formats.parse_cifar_records(bytes([7]) + bytes([1] * 1024 + [2] * 1024 + [3] * 1024), 1, tiny.spec, "r")
    assert y.tolist() == [7] and x.reshape(3, 32, 32)[:, 5, 5].tolist() == [1, 2, 3]
    with pytest.raises(DataFormatError, match="records of 3073 bytes"):
        formats.parse_cifar_records(bytes(3072), 1, tiny.spec, "r")
    a = tiny.arrays
    p.write_bytes(cifar_tar(a["train_images"], a["train_labels"], a["test_images"], a["test_labels"],
                            tiny.spec.classes, skip=("test_batch.bin",)))
    with pytest.raises(DataFormatError, match="test_batch.bin"):
        formats.parse_cifar_archive(tiny.spec, p)
    p.write_bytes(tiny.files["cifar-10-binary.tar.gz"][:5000])
    with pytest.raises(DataFormatError, match="tar.gz"):
        formats.parse_cifar_archive(tiny.spec, p)


# ------------------------------------------------------------------ downloads
def test_good_download_is_verified_cached_and_split(server, isolated, monkeypatch):
    tiny = Tiny().with_urls(server.url + "/good/")
    server.serve("/good", tiny.files)
    name = use(monkeypatch, tiny)
    check_matches(tiny, isolated)
    for f in tiny.spec.files:        # the official files are kept, complete and verified
        assert md5((isolated / name / f.name).read_bytes()) == f.md5
    assert not list((isolated / name).glob(".*.part"))
    info = data.cache_info(name, root=isolated)
    assert {s["origin"] for s in info["sources"].values()} == {"download"}
    hits = dict(server.hits)
    server.routes.clear()            # a reload needs neither the network nor the files
    for f in tiny.spec.files:
        (isolated / name / f.name).unlink()
    loader._memo.clear()
    check_matches(tiny, isolated)
    assert server.hits == hits


def test_checksum_mismatch_moves_to_next_mirror(server, isolated, monkeypatch, sleeps):
    tiny = Tiny(seed=1).with_urls(server.url + "/bad/", server.url + "/good1/")
    server.serve("/good1", tiny.files)
    bad = {n: bytes(len(b)) for n, b in tiny.files.items()}          # right size, wrong bytes
    server.serve("/bad", bad)
    check_matches(tiny, isolated, use(monkeypatch, tiny))
    assert all(server.hits[f"/bad/{n}"] == 1 for n in bad)            # no retry of a checksum failure
    assert sleeps == []


def test_checksum_mismatch_everywhere_fails_and_leaves_nothing(server, isolated, monkeypatch):
    tiny = Tiny(seed=2).with_urls(server.url + "/bad2/")
    server.serve("/bad2", {n: bytes(len(b)) for n, b in tiny.files.items()})
    name = use(monkeypatch, tiny)
    with pytest.raises(DownloadError, match="MD5"):
        data.load(name, root=isolated)
    assert not [p for p in (isolated / name).iterdir()]                # no partial or wrong file kept


def test_truncated_transfer_is_retried(server, isolated, monkeypatch, sleeps):
    tiny = Tiny(seed=3).with_urls(server.url + "/trunc/")
    server.serve("/trunc", tiny.files)
    big = "train-images-idx3-ubyte.gz"
    server.routes[f"/trunc/{big}"] = [("truncate", tiny.files[big], 1000), ("ok", tiny.files[big])]
    check_matches(tiny, isolated, use(monkeypatch, tiny))
    assert server.hits[f"/trunc/{big}"] == 2
    assert sleeps == [0.5]


def test_server_errors_then_success_back_off(server, isolated, monkeypatch, sleeps):
    tiny = Tiny(seed=4).with_urls(server.url + "/flaky/")
    server.serve("/flaky", tiny.files)
    lab = "t10k-labels-idx1-ubyte.gz"
    server.routes[f"/flaky/{lab}"] = [("status", 503), ("status", 500), ("ok", tiny.files[lab])]
    check_matches(tiny, isolated, use(monkeypatch, tiny))
    assert server.hits[f"/flaky/{lab}"] == 3
    assert sleeps == [0.5, 1.0]                                        # exponential back-off


def test_every_mirror_failing_gives_a_clear_error(server, isolated, monkeypatch, sleeps):
    tiny = Tiny(seed=5).with_urls(server.url + "/down/", server.url + "/gone/")
    for n in tiny.files:
        server.routes[f"/down/{n}"] = [("status", 503)]
    name = use(monkeypatch, tiny)
    with pytest.raises(DownloadError) as err:
        data.load(name, root=isolated)
    msg = str(err.value)
    for needle in ["MNIST", "'mnist'", str(isolated / name), "GTP_DATA_MIRROR", "HTTP 503", "HTTP 404",
                   *tiny.files]:
        assert needle in msg
    for n in tiny.files:
        assert server.hits[f"/down/{n}"] == 3                           # 1 + 2 retries on a 5xx
        assert server.hits[f"/gone/{n}"] == 1                           # a 404 is not retried
    assert not (isolated / name / f"{name}.gtpdata").exists()


def test_unreachable_host_is_skipped_for_the_next_files(server, isolated, monkeypatch, sleeps):
    tiny = Tiny(seed=6).with_urls(free_port_url(), server.url + "/alive/")
    server.serve("/alive", tiny.files)
    check_matches(tiny, isolated, use(monkeypatch, tiny))
    assert sleeps == [0.5, 1.0]            # only the first file waited for the dead host


# ------------------------------------------------------------------ local folders
def test_mirror_is_used_before_network_and_checksum_mismatch_warns(tmp_path, isolated, monkeypatch):
    tiny = Tiny(seed=7).with_urls(free_port_url())
    recompressed = {n: gz(gzip.decompress(b), level=1) for n, b in tiny.files.items()}
    assert any(recompressed[n] != tiny.files[n] for n in tiny.files)
    mirror = tiny.write_mirror(tmp_path / "mirror", recompressed)
    monkeypatch.setenv(data.ENV_MIRROR, os.pathsep.join([str(tmp_path / "missing"), str(mirror)]))
    name = use(monkeypatch, tiny)
    with pytest.warns(DataWarning, match="differ from the published checksums"):
        check_matches(tiny, isolated)
    info = data.cache_info(name, root=isolated)
    assert all(s["origin"] == "local folder" for s in info["sources"].values())
    assert not any(p.suffix == ".gz" for p in (isolated / name).iterdir())   # nothing copied or downloaded


def test_mirror_file_with_bad_structure_is_skipped(tmp_path, isolated, monkeypatch):
    tiny = Tiny(seed=8).with_urls(free_port_url())
    broken = dict(tiny.files)
    broken["train-labels-idx1-ubyte.gz"] = gz(idx_bytes(np.full(30, 12, np.uint8)))   # label 12
    first = tiny.write_mirror(tmp_path / "m1", broken)
    second = tiny.write_mirror(tmp_path / "m2")
    monkeypatch.setenv(data.ENV_MIRROR, os.pathsep.join([str(first), str(second)]))
    name = use(monkeypatch, tiny)
    with pytest.warns(DataWarning, match="ignoring .*labels must lie in 0..9"):
        check_matches(tiny, isolated)
    src = data.cache_info(name, root=isolated)["sources"]["train-labels-idx1-ubyte.gz"]
    assert src["path"].startswith(str(second))


def test_wrong_file_in_cache_folder_is_set_aside(tmp_path, isolated, monkeypatch):
    tiny = Tiny(seed=9).with_urls(free_port_url())
    monkeypatch.setenv(data.ENV_MIRROR, str(tiny.write_mirror(tmp_path / "mirror")))
    name = use(monkeypatch, tiny)
    wrong = isolated / name / "t10k-images-idx3-ubyte.gz"
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(b"not the official file")
    with pytest.warns(DataWarning, match="not the official file"):
        check_matches(tiny, isolated)
    assert not wrong.exists()
    assert (wrong.parent / (wrong.name + ".corrupt")).read_bytes() == b"not the official file"


FAKE_BUILDER = '''\
import argparse, shutil, sys
ap = argparse.ArgumentParser(); ap.add_argument("--out", required=True)
out = ap.parse_args().out
if {fail}:
    sys.exit("no pillow here")
shutil.copy({archive!r}, out + "/cifar-10-binary.tar.gz")
'''


def test_cifar_build_binary_in_mirror(tmp_path, isolated, monkeypatch):
    tiny = Tiny("cifar-10", n_train=20, n_test=5, n_validation=4).with_urls(free_port_url())
    archive = tmp_path / "built.tar.gz"
    archive.write_bytes(tiny.files["cifar-10-binary.tar.gz"])
    broken, works = tmp_path / "m1" / "cifar-10", tmp_path / "m2" / "cifar-10"
    for folder, fail in ((broken, True), (works, False)):
        folder.mkdir(parents=True)
        (folder / "build-binary").write_text(FAKE_BUILDER.format(fail=fail, archive=str(archive)))
    monkeypatch.setenv(data.ENV_MIRROR, os.pathsep.join([str(broken.parent), str(works.parent)]))
    name = use(monkeypatch, tiny)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_matches(tiny, isolated)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("no pillow here" in m for m in messages)
    assert any("JPEG re-encoded" in m for m in messages)
    assert "JPEG" in data.cache_info(name, root=isolated)["notes"][0]
    assert [p.name for p in (isolated / name).iterdir()] == [f"{name}.gtpdata"]   # build folder removed


def test_cifar_download_official_archive(server, isolated, monkeypatch):
    tiny = Tiny("cifar-10", n_train=20, n_test=5, n_validation=4).with_urls(server.url + "/kriz/")
    server.serve("/kriz", tiny.files)
    name = use(monkeypatch, tiny)
    check_matches(tiny, isolated)
    X, _ = data.load(name, "test", root=isolated)
    assert X.shape == (5, 3072)


# ------------------------------------------------------------------ the parsed cache
@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_corrupt_cache_is_reported_and_rebuilt(tmp_path, isolated, monkeypatch, damage):
    tiny = Tiny(seed=10).with_urls(free_port_url())
    monkeypatch.setenv(data.ENV_MIRROR, str(tiny.write_mirror(tmp_path / "mirror")))
    name = use(monkeypatch, tiny)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        data.load(name, root=isolated)
    path = data.cache_path(name, root=isolated)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[-100] ^= 0xFF
    elif damage == "truncate":
        raw = raw[:len(raw) // 2]
    else:
        raw = bytearray(b"junk" * 10)
    path.write_bytes(bytes(raw))
    loader._memo.clear()                                         # as in a new process
    with pytest.raises(cache.CacheError):
        cache.read_cache(path)
    with pytest.warns(DataWarning, match="cached copy is unusable"):
        check_matches(tiny, isolated)
    cache.read_cache(path)                                       # valid again


def test_cache_round_trip_and_header(tmp_path):
    arrays = {"a": np.arange(100, dtype=np.uint8).reshape(10, 10), "b": np.array([1, 2, 3], np.uint8),
              "empty": np.zeros((0, 4), np.uint8)}
    path = cache.write_cache(tmp_path / "x.gtpdata", arrays, {"hello": "world"})
    back, meta = cache.read_cache(path)
    assert meta == {"hello": "world"}
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
    assert not back["a"].flags.writeable
    assert [p.name for p in tmp_path.iterdir()] == ["x.gtpdata"]


def test_concurrent_loaders_agree(tmp_path, isolated, monkeypatch):
    tiny = Tiny(n_train=3000, n_test=1000, n_validation=1000, seed=11).with_urls(free_port_url())
    mirror = tiny.write_mirror(tmp_path / "mirror")
    spec = dataclasses.asdict(tiny.spec)
    child = textwrap.dedent("""
        import hashlib, json, sys
        from gtp.data import registry, load_uint8
        spec = json.loads(sys.argv[1])
        spec["files"] = tuple(registry.RemoteFile(**f) for f in spec["files"])
        spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
        registry.DATASETS["mnist"] = registry.Dataset(**spec)
        X, y = load_uint8("mnist", "train+validation", root=sys.argv[2])
        print(hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest())
    """)
    env = dict(os.environ, GTP_DATA_MIRROR=str(mirror), OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    procs = [subprocess.Popen([sys.executable, "-c", child, json.dumps(spec), str(isolated)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    a = tiny.arrays
    want = hashlib.sha256(a["train_images"].tobytes() + a["train_labels"].astype(np.int64).tobytes()).hexdigest()
    assert {o[0].strip() for o in outs} == {want}
    assert [p.name for p in (isolated / "mnist").iterdir()] == ["mnist.gtpdata"]


# ------------------------------------------------------------------ the public API
def test_api_rejects_unknown_names_splits_and_dtypes(isolated):
    with pytest.raises(ValueError, match="name: expected one of 'mnist', 'fashion-mnist', 'cifar-10'"):
        data.load("svhn", root=isolated)
    with pytest.raises(ValueError, match="split: expected one of 'train', 'validation', 'test'"):
        data.load("mnist", "dev", root=isolated)
    with pytest.raises(ValueError, match="dtype"):
        data.load("mnist", dtype=np.int32, root=isolated)
    with pytest.raises(ValueError, match="name"):
        data.class_names("MNIST")
    assert not isolated.exists()                                 # nothing touched before the checks


def test_class_names_and_registry():
    assert data.class_names("mnist") == [str(d) for d in range(10)]
    assert data.class_names("fashion-mnist")[0] == "T-shirt/top" and data.class_names("fashion-mnist")[9] == "Ankle boot"
    assert data.class_names("cifar-10")[:2] == ["airplane", "automobile"]
    for ds in data.DATASETS.values():
        assert len(ds.classes) == 10 and ds.files and ds.urls
        assert all(f.size > 0 and len(f.md5) == 32 for f in ds.files)
    assert data.DATASETS["cifar-10"].files[0].md5 == "c32a1d4ab5d03f1284b67883e8d87530"
    assert data.DATASETS["mnist"].urls[0].startswith("https://")   # a maintained mirror first


def test_cache_dir_and_mirror_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_DIR, str(tmp_path / "env"))
    assert data.cache_dir() == tmp_path / "env"
    assert data.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(data.ENV_DIR)
    assert data.cache_dir() == REPO / "data"                     # running from the checkout
    monkeypatch.setenv(data.ENV_MIRROR, os.pathsep.join(["/a", "", "/b"]))
    assert data.mirror_dirs() == [Path("/a"), Path("/b")]


def test_float64_is_exactly_pixels_over_255(tmp_path, isolated, monkeypatch):
    tiny = Tiny(seed=12).with_urls(free_port_url())
    monkeypatch.setenv(data.ENV_MIRROR, str(tiny.write_mirror(tmp_path / "mirror")))
    name = use(monkeypatch, tiny)
    X, _ = data.load(name, "test", dtype=np.float64, root=isolated)
    X8, _ = data.load_uint8(name, "test", root=isolated)
    assert X.dtype == np.float64 and X8.dtype == np.uint8 and not X8.flags.writeable
    np.testing.assert_array_equal(X * 255, X8)


# ------------------------------------------------------------------ the real data sets
def real_mirror():
    env = os.environ.get(data.ENV_MIRROR)
    if env:
        return env
    shared = REPO.parent / "shared" / "datasets"
    return str(shared) if shared.is_dir() else None


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """load(name, split) from the local mirror into one fresh cache folder for this module."""
    mirror = real_mirror()
    if mirror is None:
        pytest.skip(f"no local data mirror: set {data.ENV_MIRROR} or provide ../shared/datasets")
    root = tmp_path_factory.mktemp("real-data-cache")
    caught = {}

    def load(name, split):
        with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mp.setenv(data.ENV_MIRROR, mirror)
            out = data.load(name, split, root=root)
        caught.setdefault(name, []).extend(str(x.message) for x in w)
        return out
    load.warnings = caught
    load.root = root
    return load


SIZES = {"mnist": (50000, 10000, 10000, 784), "fashion-mnist": (50000, 10000, 10000, 784),
         "cifar-10": (45000, 5000, 10000, 3072)}


@pytest.mark.parametrize("name", list(SIZES))
def test_real_data_sets_load_with_documented_shapes_and_balance(real, name):
    n_train, n_val, n_test, features = SIZES[name]
    for split, n in (("train", n_train), ("validation", n_val), ("test", n_test)):
        X, y = real(name, split)
        assert X.shape == (n, features) and X.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        share = np.bincount(y, minlength=10) / n
        assert share.min() > 0.08 and share.max() < 0.12, (split, share)
    if name == "cifar-10":
        assert any("JPEG" in m for m in real.warnings[name])
        assert "JPEG" in " ".join(data.cache_info(name, root=real.root)["notes"])


def test_real_label_order_and_pixel_statistics(real):
    _, y = real("mnist", "test")
    assert y[:5].tolist() == [7, 2, 1, 0, 4]
    X, _ = real("mnist", "train")
    assert 0.12 < X.mean() < 0.14            # MNIST is mostly black background (NOTES.md)
    _, y = real("fashion-mnist", "test")
    assert y[:5].tolist() == [9, 2, 1, 1, 6]
    Xc, _ = real("cifar-10", "test")
    # channel-planar order: the three 1024-value blocks are the red, green and blue planes, whose
    # well-known means (0.49, 0.48, 0.45) an interleaved layout would mix into three equal values
    red, green, blue = Xc.reshape(-1, 3, 1024).mean(axis=(0, 2))
    assert red > green > blue + 0.02 and abs(red - 0.49) < 0.02 and abs(blue - 0.45) < 0.02
