"""Sources and integrity: md5 checks, zip-slip refusal, a real download from a local HTTP server,
the offline error, root resolution and the decoded-split cache. No network beyond 127.0.0.1."""

import functools
import hashlib
import http.server
import io
import os
import threading
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from meta_course.tasks import omniglot as om
from meta_course.tasks.omniglot import files as om_files


def _png(seed: int) -> bytes:
    g = torch.Generator().manual_seed(seed)
    ink = torch.rand(105, 105, generator=g) > 0.9
    buf = io.BytesIO()
    Image.fromarray(((~ink).numpy() * 255).astype("uint8")).convert("1").save(buf, "PNG")
    return buf.getvalue()


def tiny_omniglot_zip(path: Path, top="images_tiny", chars=(("Alpha", 2), ("Beta", 1))) -> str:
    """An Omniglot-layout zip: top/Alphabet/characterNN/NNNN_MM.png, 20 drawings each. Returns its md5."""
    with zipfile.ZipFile(path, "w") as zf:
        k = 0
        for alphabet, n in chars:
            for c in range(1, n + 1):
                for d in range(1, 21):
                    zf.writestr(f"{top}/{alphabet}/character{c:02d}/{k:04d}_{d:02d}.png", _png(k * 100 + d))
                k += 1
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("META_COURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/'served'."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_real_download_from_local_http_server_is_md5_checked_and_decodes(tmp_path, server, cache):
    served, url = server
    (served / "sub").mkdir()
    md5 = tiny_omniglot_zip(served / "sub" / "tiny.zip")
    root = tmp_path / "root"
    sources = {"tiny.zip": ("sub/tiny.zip", md5)}
    path = om.fetch("tiny.zip", root, sources=sources, base_url=url, progress=False)
    assert path == root / "tiny.zip" and om.md5sum(path) == md5
    assert [p.name for p in root.iterdir()] == ["tiny.zip"]  # no temporary file left
    images, alphabets, characters = om.decode_zip(path, size=28)
    assert images.shape == (3, 20, 28, 28) and images.dtype == torch.uint8
    assert characters == ["Alpha/character01", "Alpha/character02", "Beta/character01"]
    # present with the right md5: used without network (the server is not asked again)
    served.joinpath("sub", "tiny.zip").unlink()
    assert om.fetch("tiny.zip", root, sources=sources, base_url=url) == path


def test_download_with_wrong_md5_deletes_the_partial_file_and_raises(tmp_path, server):
    served, url = server
    tiny_omniglot_zip(served / "tiny.zip")
    root = tmp_path / "root"
    with pytest.raises(om.ChecksumError, match="expected 0123456789abcdef0123456789abcdef"):
        om.fetch("tiny.zip", root, sources={"tiny.zip": ("tiny.zip", "0123456789abcdef0123456789abcdef")},
                 base_url=url, progress=False)
    assert list(root.iterdir()) == []


def test_present_file_with_wrong_md5_is_refused_and_not_used(tmp_path, cache):
    root = tmp_path / "root"
    root.mkdir()
    tiny_omniglot_zip(root / "images_background_small1.zip")  # right name, wrong content
    with pytest.raises(om.ChecksumError, match=r"images_background_small1.zip has md5 .*expected "
                                               r"e704a628b5459e08445c13499850abc4.*not used"):
        om.load_split("minimal1", root=root)
    assert not cache.exists() or not any(cache.iterdir())  # nothing decoded from it


def test_missing_file_offline_names_file_url_md5_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("META_COURSE_OFFLINE", "1")
    with pytest.raises(om.MissingDataError) as err:
        om.load_split("full", root=tmp_path)
    msg = str(err.value)
    for part in ("images_background.zip", om.BASE_URL + "images_background.zip", "68d2efa1b9178cc56df9314c21c6e718",
                 str(tmp_path)):
        assert part in msg


def test_unreachable_server_gives_the_same_clear_error(tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    with pytest.raises(om.MissingDataError, match=r"tiny.zip is missing .*download failed.*md5 abc"):
        om.fetch("tiny.zip", tmp_path, sources={"tiny.zip": ("tiny.zip", "abc")},
                 base_url=f"http://127.0.0.1:{port}/", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_zip_with_dotdot_or_absolute_member_is_refused(tmp_path):
    for bad in ("../evil.png", "/abs/evil.png", "top/../../evil.png"):
        path = tmp_path / "bad.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("top/A/character01/0001_01.png", _png(0))
            zf.writestr(bad, b"x")
        with pytest.raises(ValueError, match="unsafe zip member"):
            om.decode_zip(path)
        with pytest.raises(ValueError, match="unsafe zip member"):
            om.safe_extract(path, tmp_path / "out")
        assert not (tmp_path / "evil.png").exists() and not (tmp_path / "out").exists()


def test_root_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("META_COURSE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert om.data_root() == tmp_path / "home" / ".cache" / "meta_course"
    monkeypatch.setenv("META_COURSE_DATA", str(tmp_path / "env"))
    assert om.data_root() == tmp_path / "env"
    assert om.data_root(tmp_path / "arg") == tmp_path / "arg"


def test_cache_is_keyed_by_md5_and_size_and_skips_decoding(tmp_path, cache, monkeypatch):
    path = tmp_path / "tiny.zip"
    md5 = tiny_omniglot_zip(path)
    first = om_files._load_source(path, 28, False)
    assert [p.name for p in cache.iterdir()] == [f"tiny-{md5}-s28-v{om.DECODER_VERSION}.pt"]
    monkeypatch.setattr(om_files, "decode_zip", lambda *a, **k: pytest.fail("decoded again instead of using the cache"))
    second = om_files._load_source(path, 28, False)
    assert torch.equal(first[0], second[0]) and first[1:] == second[1:]
    monkeypatch.undo()
    monkeypatch.setenv("META_COURSE_CACHE", str(cache))
    assert om_files._load_source(path, 20, False)[0].shape == (3, 20, 20, 20)  # another size: another entry
    md5b = tiny_omniglot_zip(path, chars=(("Alpha", 1),))  # changed source: another entry
    assert om_files._load_source(path, 28, False)[0].shape[0] == 1
    assert len(list(cache.iterdir())) == 3 and any(md5b in p.name for p in cache.iterdir())


def test_zip_with_a_character_missing_drawings_is_refused(tmp_path):
    path = tmp_path / "short.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for d in range(1, 20):
            zf.writestr(f"top/A/character01/0001_{d:02d}.png", _png(d))
    with pytest.raises(ValueError, match="has 19 drawings, expected 20"):
        om.decode_zip(path)


SHARED = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared/data/omniglot")


@pytest.mark.skipif(not (SHARED / "images_background_small1.zip").exists(), reason="offline Omniglot copies not found")
def test_download_cli_fetches_the_official_file_from_a_mirror_and_verifies_it(tmp_path, server, monkeypatch, capsys):
    import shutil

    from meta_course.__main__ import main

    served, url = server
    shutil.copy(SHARED / "images_background_small1.zip", served)
    monkeypatch.setattr(om_files, "BASE_URL", url)  # a local mirror of the official folder
    root = tmp_path / "root"
    assert main(["download", "--split", "minimal1", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "md5 e704a628b5459e08445c13499850abc4" in out and "136 characters" in out
    assert om.md5sum(root / "images_background_small1.zip") == "e704a628b5459e08445c13499850abc4"
    # a missing file the mirror does not have: exit code 2 and the clear message, no traceback
    assert main(["download", "--split", "evaluation", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "images_evaluation.zip is missing" in err and "6b91aef0f799c5bb55b94e3f2daec811" in err


@pytest.mark.skipif(not (SHARED / "images_background_small1.zip").exists(), reason="offline Omniglot copies not found")
def test_bench_omniglot_data_runs_and_writes_json(tmp_path, monkeypatch, capsys):
    import json

    from meta_course.__main__ import main

    monkeypatch.setenv("META_COURSE_DATA", str(SHARED))
    assert main(["bench", "omniglot-data", "--seconds", "0.05", "--json", str(tmp_path / "b.json")]) == 0
    rows = json.loads((tmp_path / "b.json").read_text())["rows"]
    assert [r["measure"] for r in rows[:2]] == ["first_load_s", "cached_load_s"]
    assert all(r["value"] > 0 for r in rows) and len(rows) == 6
    assert "episodes_per_s" in capsys.readouterr().out


def test_full_and_vinyals_partitions_on_synthetic_big_zips(tmp_path, cache, monkeypatch):
    """The code paths of the big-zip splits, on small stand-ins with their own md5s."""
    root = tmp_path / "root"
    root.mkdir()
    bg = [(f"Bg{i}", 1) for i in range(7)]
    ev = [("Ev0", 2), ("Ev1", 1)]
    sources = dict(om.SOURCES)
    sources["images_background.zip"] = ("images_background.zip",
                                        tiny_omniglot_zip(root / "images_background.zip", "images_background", bg))
    sources["images_evaluation.zip"] = ("images_evaluation.zip",
                                        tiny_omniglot_zip(root / "images_evaluation.zip", "images_evaluation", ev))
    monkeypatch.setattr(om_files, "SOURCES", sources)
    monkeypatch.setitem(om.PARTS, "vinyals", {"by": "character", "counts": (5, 2, 3)})
    full = om.load_split("full", root=root, progress=False)
    assert len(full) == 10 and len(full.alphabets) == 9
    parts = {p: om.omniglot_split("full", p, root=root, progress=False) for p in ("train", "val", "test")}
    assert parts["train"].alphabets == ["Bg0", "Bg1"]  # background minus its last 5 alphabets
    assert parts["val"].alphabets == ["Bg2", "Bg3", "Bg4", "Bg5", "Bg6"]
    assert parts["test"].alphabets == ["Ev0", "Ev1"] and len(parts["test"]) == 3
    v = {p: om.omniglot_split("vinyals", p, root=root, progress=False) for p in ("train", "val", "test")}
    assert [len(s) for s in v.values()] == [5, 2, 3]
    assert v["test"].characters == ["Ev0/character01", "Ev0/character02", "Ev1/character01"]
    tasks = om.OmniglotTasks("vinyals", "train", n_way=20, k_shot=1, q_query=1, rotations=True, root=root)
    assert tasks.n_classes == 20 and tasks.sample(torch.Generator().manual_seed(0), 2).x_support.shape[1] == 20


def test_mirror_replaces_canonical_urls_with_flat_official_names(monkeypatch):
    monkeypatch.delenv("META_COURSE_MIRROR", raising=False)
    assert om.source_url("all_runs.zip") == om.BASE_URL + "one-shot-classification/all_runs.zip"
    monkeypatch.setenv("META_COURSE_MIRROR", "http://127.0.0.1:9/omniglot/")
    for name in om.SOURCES:
        assert om.source_url(name) == f"http://127.0.0.1:9/omniglot/{name}"
    assert om.source_url("all_runs.zip", base_url="http://x/") == "http://x/one-shot-classification/all_runs.zip"


def test_md5_override_is_explicit_validated_and_loud(monkeypatch):
    official = om.SOURCES["all_runs.zip"][1]
    monkeypatch.delenv("META_COURSE_MD5", raising=False)
    assert om.expected_md5("all_runs.zip") == official
    monkeypatch.setenv("META_COURSE_MD5", "all_runs.zip=" + "ab" * 16)
    with pytest.warns(UserWarning, match="not the official one"):
        assert om.expected_md5("all_runs.zip") == "ab" * 16
    assert om.expected_md5("images_evaluation.zip") == om.SOURCES["images_evaluation.zip"][1]  # others untouched
    monkeypatch.setenv("META_COURSE_MD5", "all_runs.zip=12345")
    with pytest.raises(ValueError, match="32-digit hex md5"):
        om.expected_md5("all_runs.zip")
