"""Lake's one-shot runs: loader, evaluator (the official demo's protocol), baselines, registry, CLI."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch

from meta_course.tasks import lake_runs
from meta_course.tasks.omniglot.images import decode_png
from meta_course.tasks.lake_runs import (InkTable, evaluate_runs, ink_points, load_runs, mhd_scorer,
                                         modified_hausdorff, pixel_nn_scorer, resize_u8)

DATA = Path(os.environ.get("META_COURSE_DATA", Path(__file__).resolve().parents[2] / "shared/data/omniglot"))
ZIP = DATA / "one_shot_runs_01-10.zip"
needs_data = pytest.mark.skipif(not ZIP.exists(), reason=f"offline runs {ZIP} not available")


@pytest.fixture(scope="module")
def runs():
    if not ZIP.exists():
        pytest.skip(f"offline runs {ZIP} not available")
    return load_runs(ZIP)


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    """The zip extracted by the standard library into a folder (to compare both loaders)."""
    if not ZIP.exists():
        pytest.skip(f"offline runs {ZIP} not available")
    out = tmp_path_factory.mktemp("runs")
    with zipfile.ZipFile(ZIP) as z:
        z.extractall(out)
    return out


def test_loader_reads_ten_runs_of_twenty(runs):
    assert [r.name for r in runs] == [f"run{i:02d}" for i in range(1, 11)]
    for r in runs:
        assert r.train.shape == r.test.shape == (20, 105, 105)
        assert r.train.dtype == torch.uint8 and set(r.train.unique().tolist()) == {0, 255}
        assert sorted(r.answer.tolist()) == list(range(20))  # every class has exactly one test item
        assert r.train_files[0] == "training/class01.png" and r.test_files[-1] == "test/item20.png"
        # ink is the minority of pixels (ink = 255, background = 0)
        assert 0.01 < (r.train > 0).float().mean() < 0.3


def test_answers_follow_class_labels(runs):
    with zipfile.ZipFile(ZIP) as z:
        lines = z.read("run03/class_labels.txt").decode().split("\n")
    item, cls = lines[4].split()  # "run03/test/item05.png run03/training/classYY.png"
    assert item == "run03/test/item05.png"
    assert runs[2].answer[4] == int(cls[-6:-4]) - 1


def test_folder_and_zip_give_identical_runs(runs, runs_folder):
    from_folder = load_runs(runs_folder)
    assert len(from_folder) == len(runs)
    for a, b in zip(from_folder, runs):
        assert a.name == b.name and torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
        assert torch.equal(a.answer, b.answer)
    one = load_runs(runs_folder / "run04")  # a single run folder
    assert len(one) == 1 and one[0].name == "run04" and torch.equal(one[0].test, runs[3].test)
    assert [r.name for r in load_runs(ZIP, runs="run02,run05")] == ["run02", "run05"]


def _png(ink_at=(50, 50)) -> bytes:
    from PIL import Image
    img = Image.new("L", (105, 105), 255)
    img.putpixel(ink_at, 0)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_zip_with_dotdot_member_is_refused(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("run01/class_labels.txt", "run01/test/item01.png run01/training/class01.png\n")
        z.writestr("run01/training/class01.png", _png())
        z.writestr("run01/test/item01.png", _png())
        z.writestr("../evil.txt", "x")
    with pytest.raises(ValueError, match=r"unsafe zip member '\.\./evil\.txt'"):
        load_runs(bad)


def test_clear_errors_for_missing_or_odd_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_runs(tmp_path / "nowhere.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no runs in"):
        load_runs(tmp_path / "empty")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="neither a folder nor a zip"):
        load_runs(tmp_path / "junk.zip")
    odd = tmp_path / "odd" / "run01"
    (odd / "training").mkdir(parents=True)
    (odd / "test").mkdir()
    (odd / "class_labels.txt").write_text("run01/test/item01.png\n")
    with pytest.raises(ValueError, match="line 1"):
        load_runs(tmp_path / "odd")
    (odd / "class_labels.txt").write_text("run01/test/item01.png run01/training/class07.png\n")
    (odd / "training" / "class01.png").write_bytes(_png())
    (odd / "test" / "item01.png").write_bytes(_png())
    with pytest.raises(ValueError, match="class07.png"):
        load_runs(tmp_path / "odd")
    if ZIP.exists():
        with pytest.raises(ValueError, match="run99"):
            load_runs(ZIP, runs="run99")


def test_default_path_error_names_what_to_pass(monkeypatch, tmp_path):
    monkeypatch.setenv("META_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("META_COURSE_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="--runs-dir.*download --split runs"):
        lake_runs.default_runs_path()
    (tmp_path / "all_runs.zip").write_bytes(b"corrupt")  # present but not the official file: not used
    with pytest.raises(ValueError, match="md5"):
        lake_runs.default_runs_path()
    (tmp_path / "all_runs.zip").unlink()
    (tmp_path / lake_runs.DEFAULT_ZIP).write_bytes(b"not the offline copy")
    with pytest.raises(ValueError, match="96a719386675d50d48567314443503a3"):
        lake_runs.default_runs_path()


def test_unreachable_mirror_gives_the_runs_hint(monkeypatch, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("META_COURSE_DATA", str(tmp_path))
    monkeypatch.delenv("META_COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("META_COURSE_MIRROR", f"http://127.0.0.1:{port}")
    with pytest.raises(FileNotFoundError, match=f"--runs-dir.*127.0.0.1:{port}/all_runs.zip"):
        lake_runs.default_runs_path()
    assert not list(tmp_path.iterdir())  # nothing half-written


@needs_data
def test_all_runs_zip_downloads_by_itself_from_a_mirror(monkeypatch, tmp_path, recwarn):
    from _mirror import build_all_runs_fixture, serve

    served, root = tmp_path / "served", tmp_path / "data"
    served.mkdir()
    fixture_md5 = build_all_runs_fixture(served / "all_runs.zip")
    assert fixture_md5 != lake_runs.SOURCES_MD5_ALL_RUNS  # a 10-run fixture, not the official 20-run file
    monkeypatch.setenv("META_COURSE_DATA", str(root))
    monkeypatch.delenv("META_COURSE_OFFLINE", raising=False)
    with serve(served) as url:
        monkeypatch.setenv("META_COURSE_MIRROR", url + "/")
        # without the explicit override, the official md5 is demanded and the fixture refused
        with pytest.raises(ValueError, match="md5"):
            lake_runs.default_runs_path()
        assert not (root / "all_runs.zip").exists()
        monkeypatch.setenv("META_COURSE_MD5", f"all_runs.zip={fixture_md5}")
        path = lake_runs.default_runs_path()
    assert path == root / "all_runs.zip" and any("not the official one" in str(w.message) for w in recwarn)
    runs = load_runs(path)
    ref = load_runs(ZIP)
    assert [r.name for r in runs] == list(lake_runs.RUNS_01_10)
    assert all(torch.equal(a.test, b.test) and torch.equal(a.answer, b.answer) for a, b in zip(runs, ref))
    assert lake_runs.default_runs_path() == path  # second call: no server needed, md5 checked


def test_mhd_reference_follows_the_runs_loaded():
    ten = [f"run{i:02d}" for i in range(1, 11)]
    twenty = [f"run{i:02d}" for i in range(1, 21)]
    assert lake_runs.mhd_reference(ten) == (38.0, "official demo, runs 01–10")
    assert lake_runs.mhd_reference(twenty)[0] == 38.8
    assert lake_runs.runs_label(ten) == "runs 01–10" and lake_runs.runs_label(twenty) == "runs 01–20"
    assert lake_runs.runs_label(["run02", "run05"]) == "runs 02, 05"
    with pytest.raises(ValueError, match="runs 02, 05.*38.0%.*38.8%"):
        lake_runs.mhd_reference(["run02", "run05"])


# ------------------------------------------------------------------------------------- evaluator
def test_evaluator_with_oracle_and_reversed_scorers(runs):
    class Oracle:  # knows the answers of the run whose test items it is shown
        def __init__(self, reverse=False):
            self.by_test = {r.test.numpy().tobytes(): r.answer for r in runs}
            self.sign = -1.0 if reverse else 1.0

        def __call__(self, train, test):
            return self.sign * torch.nn.functional.one_hot(self.by_test[test.numpy().tobytes()], 20).float()

    perfect = evaluate_runs(Oracle(), runs)
    assert perfect["mean_error_percent"] == 0.0 and all(r["n_wrong"] == 0 for r in perfect["per_run"])
    worst = evaluate_runs(Oracle(reverse=True), runs)
    assert worst["mean_error_percent"] == 100.0
    # a scorer that gets exactly items 0..4 right in each run: 15 wrong of 20 = 75%
    def five_right(train, test):
        s = torch.zeros(20, 20)
        ans = Oracle().by_test[test.numpy().tobytes()]
        s[torch.arange(5), ans[:5]] = 1.0
        s[torch.arange(5, 20), (ans[5:] + 1) % 20] = 1.0
        return s
    r = evaluate_runs(five_right, runs)
    assert r["mean_error_percent"] == 75.0 and r["per_run"][0]["error_percent"] == 75.0
    with pytest.raises(ValueError, match=r"shape \(20, 19\)"):
        evaluate_runs(lambda tr, te: torch.zeros(20, 19), runs[:1])
    with pytest.raises(ValueError, match="non-finite"):
        evaluate_runs(lambda tr, te: torch.full((20, 20), float("nan")), runs[:1])


def test_ties_go_to_the_first_training_image_like_numpy_argmin():
    s = torch.tensor([[0.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert lake_runs.assign(s).tolist() == [1, 0]


# ------------------------------------------------------------------------------------- baselines
def test_fast_mhd_equals_brute_force(runs):
    r = runs[0]
    fast = mhd_scorer(r.train[:4], r.test[:3])
    brute = torch.tensor([[float(modified_hausdorff(ink_points(a), ink_points(b))) for b in r.train[:4]]
                          for a in r.test[:3]])
    assert torch.allclose(-fast, brute.double(), atol=1e-9)
    # a shifted copy of an image is at distance 0 (both point sets are centred)
    shifted = torch.roll(r.train[0], shifts=(3, -5), dims=(0, 1))
    assert float(InkTable(shifted).mean_min_distance(InkTable(r.train[0]))) < 1e-9


def readme_runs_row(first: str) -> list[float]:
    """The README's Lake's-runs table row that starts with ``first``: mean error, then the ten per-run errors."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith(f"| {first}"))
    cells = line.strip("|").split("|")
    return [float(cells[1])] + [float(x) for x in cells[2].split()]


def per_run(res) -> list[float]:
    return [res["mean_error_percent"]] + [r["error_percent"] for r in res["per_run"]]


def test_mhd_reproduces_the_official_demo(runs):
    res = evaluate_runs(mhd_scorer, runs)
    print("MHD per run:", [r["error_percent"] for r in res["per_run"]], "mean", res["mean_error_percent"])
    assert abs(res["mean_error_percent"] - 38.0) <= 1.0  # demo_classification.py: 38.0% on runs 01-10
    assert len(runs) == 10  # runs 01–10: the README's row, run by run
    assert per_run(res) == readme_runs_row("modified Hausdorff distance")


def test_pixel_nearest_neighbour_is_a_weak_baseline(runs):
    res = evaluate_runs(pixel_nn_scorer(28), runs)
    assert res["mean_error_percent"] > 70.0
    assert res["mean_error_percent"] < 95.0  # still better than chance (95% error)
    assert len(runs) == 10  # the README's rows at 28×28 and 105×105, run by run
    assert per_run(res) == readme_runs_row("pixel nearest neighbour, 28×28")
    assert per_run(evaluate_runs(pixel_nn_scorer(105), runs)) == readme_runs_row("pixel nearest neighbour, 105×105")


@needs_data
def test_resize_matches_decoding_at_that_size():
    with zipfile.ZipFile(ZIP) as z:
        data = z.read("run01/test/item07.png")
    full = decode_png(data, size=None)
    assert torch.equal(resize_u8(full, 28), decode_png(data, size=28))
    assert resize_u8(full[None], 28).shape == (1, 28, 28)


# ------------------------------------------------------------------------------ learners, registry
from meta_course import recipes  # noqa: E402
from meta_course.learners.base import Learner, save_learner  # noqa: E402
from meta_course.learners.table import LEARNERS  # noqa: E402


class NearestPixel(Learner):
    """A tiny few-shot "learner": logits = −temperature · squared pixel distance to each support image."""

    name = "test-nearest-pixel"
    metric = "accuracy"

    def __init__(self, temperature: float = 1.0):
        super().__init__()
        self.config = {"temperature": temperature}
        self.temperature = torch.nn.Parameter(torch.tensor(float(temperature)))
        self.seen = []

    def adapt(self, x_support, y_support, **knobs):
        self.seen.append((x_support, y_support, knobs))
        protos = torch.zeros(int(y_support.max()) + 1, x_support[0].numel()).index_add_(
            0, y_support, x_support.flatten(1))

        def predict(x):
            return -self.temperature * torch.cdist(x.flatten(1).double(), protos.double()).pow(2)
        return predict


def test_learner_scorer_feeds_a_20_way_1_shot_task(runs):
    learner = NearestPixel()
    res = evaluate_runs(lake_runs.learner_scorer(learner, size=28, some_knob=3), runs)
    xs, ys, knobs = learner.seen[0]
    assert xs.shape == (20, 1, 28, 28) and xs.dtype == torch.float32 and 0 <= xs.min() and xs.max() <= 1
    assert ys.tolist() == list(range(20)) and knobs == {"some_knob": 3}
    assert torch.equal(xs[:, 0], resize_u8(runs[0].train, 28).float() / 255)
    # the learner computes exactly what pixel-NN does, so it must score exactly like it
    ref = evaluate_runs(pixel_nn_scorer(28), runs)
    assert [r["assigned"] for r in res["per_run"]] == [r["assigned"] for r in ref["per_run"]]
    assert res["mean_error_percent"] == ref["mean_error_percent"]


def test_a_runs_method_loads_its_checkpoint_lazily(runs, tmp_path, monkeypatch):
    monkeypatch.setitem(LEARNERS, NearestPixel.name, NearestPixel)
    monkeypatch.setitem(recipes.RUNS_METHODS, "test-np", recipes.RunsMethod("test_nearest_pixel_omniglot", "nearest pixel"))
    assert "test-np" in recipes.runs_methods()
    with pytest.raises(FileNotFoundError, match="test_nearest_pixel_omniglot"):  # resolved only when used
        recipes.get_runs_method("test-np")
    ckpt = save_learner(NearestPixel(temperature=2.0), tmp_path / "np.pt")
    score_fn = recipes.get_runs_method("test-np", checkpoint=str(ckpt))
    res = evaluate_runs(score_fn, runs[:2])
    assert [r["error_percent"] for r in res["per_run"]] == [65.0, 95.0]  # = pixel-NN at 28x28 on run01, run02


def test_bad_method_name_lists_the_methods():
    with pytest.raises(ValueError, match="unknown method 'nope'.*'mhd'.*'pixel-nn'"):
        recipes.get_runs_method("nope")


# ------------------------------------------------------------------------------------------- CLI
@needs_data
def test_cli_prints_per_run_errors_and_writes_json(tmp_path, capsys, monkeypatch):
    from meta_course.__main__ import main

    monkeypatch.setenv("META_COURSE_DATA", str(DATA))
    out = tmp_path / "r.json"
    assert main(["runs", "--method", "pixel-nn", "--runs", "run01,run02", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "run01  error  65.0%" in text and "mean error 80.00%" in text
    data = json.loads(out.read_text())
    assert data["mean_error_percent"] == 80.0
    assert data["per_run"] == [{"run": "run01", "error_percent": 65.0}, {"run": "run02", "error_percent": 95.0}]

    assert main(["runs", "--list"]) == 0
    assert "mhd" in capsys.readouterr().out

    assert main(["runs", "--method", "nope", "--runs-dir", str(ZIP)]) == 2
    err = capsys.readouterr().err
    assert "unknown method 'nope'" in err and "'mhd'" in err and "--list" in err
    assert main(["runs", "--method", "mhd", "--runs-dir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    monkeypatch.delenv("META_COURSE_DATA")
    assert main(["runs", "--method", "mhd"]) == 2
    assert "--runs-dir" in capsys.readouterr().err


@needs_data
def test_bench_runs_prints_a_table(tmp_path, capsys):
    from meta_course.__main__ import main

    out = tmp_path / "b.json"
    assert main(["bench", "runs", "--runs-dir", str(ZIP), "--methods", "pixel-nn", "--json", str(out)]) == 0
    assert "| pixel-nn | 79.00 |" in capsys.readouterr().out
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["method"] == "pixel-nn" and rows[0]["mean_error_percent"] == 79.0


# ------------------------------------------------------------------------------------------- viz
def test_run_item_view_frames_right_and_wrong(runs):
    from meta_course.viz.runs import RIGHT, WRONG, run_item_view

    run = runs[0]
    ans = run.answer
    right = run_item_view(run, ans, item=3)
    assert right.right and right.assigned == right.answer == int(ans[3]) and right.frames == {int(ans[3]): (RIGHT, "-")}
    wrong_choice = ans.clone()
    wrong_choice[3] = (ans[3] + 1) % 20
    wrong = run_item_view(run, wrong_choice, item=3)
    assert wrong.right is False and wrong.frames[int(wrong_choice[3])][0] == WRONG
    assert wrong.frames[int(ans[3])] == (RIGHT, "--") and "wrong" in wrong.caption
    assert f"class{int(ans[3]) + 1:02d}" in wrong.caption
    only_answer = run_item_view(run, None, item=0)
    assert only_answer.assigned is None and only_answer.frames == {int(ans[0]): (RIGHT, "-")}
    with pytest.raises(ValueError, match="item=20"):
        run_item_view(run, ans, item=20)
    with pytest.raises(ValueError, match="19 entries"):
        run_item_view(run, ans[:19], item=0)


def test_plot_run_draws_the_run_and_the_verdict(runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from meta_course.viz.runs import RIGHT, WRONG, plot_run

    run = runs[0]
    res = lake_runs.evaluate_run(pixel_nn_scorer(28), run)
    wrong_item = next(i for i, a in enumerate(res["assigned"]) if a != int(run.answer[i]))
    fig = plot_run(run, res["assigned"], item=wrong_item, title="pixel-NN")
    axes = fig.axes
    assert len(axes) == 22  # 20 training images, the test item, the assigned image
    assert torch.equal(torch.as_tensor(axes[20].images[0].get_array()), run.test[wrong_item])
    chosen = res["assigned"][wrong_item]
    assert torch.equal(torch.as_tensor(axes[21].images[0].get_array()), run.train[chosen])
    assert axes[21].spines["top"].get_edgecolor() == to_rgba(WRONG)
    assert axes[chosen].spines["top"].get_edgecolor() == to_rgba(WRONG)
    assert axes[int(run.answer[wrong_item])].spines["top"].get_edgecolor() == to_rgba(RIGHT)
    assert "wrong" in axes[21].get_xlabel() and "run01" in fig._suptitle.get_text()
    fig2 = plot_run(run, run.answer, item=wrong_item, fig=fig)  # redraw in place, e.g. from a widget
    assert fig2 is fig and len(fig.axes) == 22 and fig.axes[21].spines["top"].get_edgecolor() == to_rgba(RIGHT)
    plt.close(fig)


def test_learner_scorer_drives_a_real_functional_learner(runs):
    """MAML on Conv-4 (torch.func inner loop, batch-statistics norm): adapting on the 20 training images
    must make the learner recognise those very images, which it cannot do before adapting."""
    from meta_course.learners.optimisation.maml import MAML

    torch.manual_seed(0)
    learner = MAML(model={"name": "conv4", "out_features": 20}, loss="cross_entropy", inner_lr=0.4, inner_steps=1)
    run = runs[0]
    before = lake_runs.learner_scorer(learner, inner_steps=0)(run.train, run.train)
    after = lake_runs.learner_scorer(learner, inner_steps=5)(run.train, run.train)
    assert before.shape == after.shape == (20, 20) and torch.isfinite(after).all()
    hits = lambda s: int((lake_runs.assign(s) == torch.arange(20)).sum())  # noqa: E731
    assert hits(before) <= 3 and hits(after) >= 8


def test_runs_explorer_update_and_widget(runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from meta_course.viz.runs import run_png, runs_explorer

    results = {"pixel-nn": evaluate_runs(pixel_nn_scorer(28), runs[:2])}
    fig = plt.figure()
    png = run_png(runs[:2], results, "pixel-nn", "run02", 4, fig=fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "pixel-nn: 95% error on this run" in fig._suptitle.get_text()
    assert run_png(runs[:2], results, None, "run01", 0, fig=fig) != png
    with pytest.raises(ValueError, match="run07"):
        run_png(runs[:2], results, "pixel-nn", "run07", 0)
    box = runs_explorer(runs[:2], results)
    method, run, item = box.children[0].children
    image = box.children[1]
    first = image.value
    item.value = 7  # moving the slider redraws
    assert image.value != first and image.value[:4] == b"\x89PNG"
    plt.close("all")


@needs_data
def test_runs_under_a_top_folder_in_a_zip(tmp_path):
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(ZIP) as src, zipfile.ZipFile(nested, "w") as dst:
        for info in src.infolist():
            if info.filename.startswith(("run02/", "run07/")) and not info.is_dir():
                dst.writestr("all_runs/" + info.filename, src.read(info))
    got = load_runs(nested)
    ref = load_runs(ZIP, runs=["run02", "run07"])
    assert [r.name for r in got] == ["run02", "run07"]
    assert all(torch.equal(a.train, b.train) and torch.equal(a.answer, b.answer) for a, b in zip(got, ref))
