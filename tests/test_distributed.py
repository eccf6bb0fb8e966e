"""Meta-training on several processes (torch.distributed, gloo on loopback): two ranks that split each meta-batch
and all-reduce the meta-gradient end where one process ends; two ranks that do not all-reduce do not. Also the
resume with two processes, the clear errors, and the full-size GPU recipes smoke-tested on synthetic zips.

All two-process runs happen in ONE spawn of two processes (a module fixture), so the test pays the start-up of
two Python processes once. Durations on the shared 2-core machine at load 10-15: that spawn 45-60 s (5 trainings of
50 steps on 2 ranks), the torchrun test 23-30 s, everything else 1-10 s each (about 2 min for the file).
Needs no data: the Omniglot episodes come from synthetic stand-in zips written here."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from meta_course import recipes
from meta_course.core import distributed
from meta_course.learners.metric.protonet import ProtoNet
from meta_course.tasks import Episode

pytestmark = pytest.mark.usefixtures("one_thread")

STEPS = 50
SINE = dict(recipe="maml_sine", meta_batch_size=25)  # 25 tasks on 2 ranks: shares 13 and 12 (unequal on purpose)


class ProtoNet64(ProtoNet):
    """ProtoNet in float64. In float32 the conv biases (each followed by BatchNorm, so their true gradient is 0)
    receive rounding noise as gradient, which Adam normalises into full-size steps: 50 steps amplify a 1e-7
    difference in how the mean over episodes is summed into 1e-3 — in a single process as well. float64 lowers
    that floor (measured: 2e-8 after 50 steps), so the test can see that the split itself is exact."""

    def __init__(self, **config):
        super().__init__(**config)
        self.double()

    def meta_loss(self, episodes):
        return super().meta_loss(Episode(*(t.double() if t.is_floating_point() else t for t in episodes)))


#: a small ProtoNet on the synthetic stand-in of the Vinyals split: 8-channel Conv-4, 5-way 1-shot, 3 episodes
PROTO = dict(recipe="protonet_vinyals_1shot", meta_batch_size=3, task_args={"n_way": 5, "q_query": 2},
             config={"model": {"name": "conv4", "out_features": None, "hidden": 8, "in_channels": 1}},
             learner_class=ProtoNet64)


# -- the synthetic stand-in of the big zips (the Vinyals split), usable in a spawned process too ----------------------
def make_standin(root: Path) -> dict:
    """images_background.zip (16 characters) and images_evaluation.zip (5), and the md5s to accept them."""
    from test_omniglot_files import tiny_omniglot_zip

    root.mkdir(parents=True, exist_ok=True)
    bg = tiny_omniglot_zip(root / "images_background.zip", "images_background", [(f"Bg{i}", 4) for i in range(4)])
    ev = tiny_omniglot_zip(root / "images_evaluation.zip", "images_evaluation", [("Ev0", 3), ("Ev1", 2)])
    return {"root": str(root), "md5": {"images_background.zip": bg, "images_evaluation.zip": ev}}


def use_standin(standin: dict) -> dict:
    """Point the Vinyals split at the stand-in: its md5s, and counts 14 / 2 / 5 characters (train / val / test;
    train+val = 16 characters × 4 rotations = 64 classes, enough for ProtoNet's 60-way training)."""
    from meta_course.tasks import omniglot as om
    from meta_course.tasks.omniglot import files as om_files

    old = (om_files.SOURCES, om.PARTS["vinyals"])
    om_files.SOURCES = {**om_files.SOURCES, **{name: (name, md5) for name, md5 in standin["md5"].items()}}
    om.PARTS["vinyals"] = {"by": "character", "counts": (14, 2, 5)}
    return {"root": standin["root"], "_restore": old}


def restore_standin(patched: dict) -> None:
    from meta_course.tasks import omniglot as om
    from meta_course.tasks.omniglot import files as om_files

    om_files.SOURCES, om.PARTS["vinyals"] = patched["_restore"]


def run_job(job: dict) -> dict:
    """One training of ``job`` in this process (with or without a process group): final parameters, loss curve,
    and how many tasks of each meta-batch this process computed."""
    from meta_course.learners import base

    patched = use_standin(job["standin"]) if job.get("standin") else None
    seen: list[int] = []
    split = distributed.split_batch

    def counting_split(batch, rank, world_size):
        part, share = split(batch, rank, world_size)
        seen.append(part[0].shape[0])
        return part, share

    distributed.split_batch = counting_split
    reduce = base.all_reduce_grads
    if job.get("no_allreduce"):  # the control: each rank follows the gradient of its own tasks only
        base.all_reduce_grads = lambda params, share=1.0: None
    try:
        task_args = dict(job.get("task_args", {}), **({"root": patched["root"]} if patched else {}))
        learner, history = recipes.train_recipe(
            job["recipe"], steps=job.get("steps", STEPS), meta_batch_size=job["meta_batch_size"], device="cpu",
            progress=False, log_every=1, checkpoint=job.get("checkpoint"), checkpoint_every=job.get("every", 1000),
            task_args=task_args or None, learner_class=job.get("learner_class"), **job.get("config", {}))
    finally:
        distributed.split_batch = split
        base.all_reduce_grads = reduce
        if patched:
            restore_standin(patched)
    return {"params": {k: v.detach().clone() for k, v in learner.state_dict().items()}, "loss": history.loss,
            "seen": seen}


def _rank_main(rank: int, world_size: int, port: int, jobs: list, out: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    results = {}
    try:
        for name, job in jobs:
            results[name] = run_job(job)
            dist.barrier()
    finally:
        dist.destroy_process_group()
    torch.save(results, Path(out) / f"rank{rank}.pt")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    mp_env = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("standin")
    mp_env.setenv("META_COURSE_CACHE", str(base / "cache"))  # inherited by the spawned ranks
    yield make_standin(base / "data")
    mp_env.undo()


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory, standin):
    """Every two-process run of this module, in one spawn: ``{job: [rank 0 result, rank 1 result]}``."""
    out = tmp_path_factory.mktemp("ranks")
    state = out / "sine.state.pt"
    jobs = [
        ("sine", SINE),
        ("sine_alone", {**SINE, "no_allreduce": True}),
        ("proto", {**PROTO, "standin": standin}),
        ("sine_first_part", {**SINE, "steps": 20, "checkpoint": str(state)}),   # interrupted after 20 steps ...
        ("sine_resumed", {**SINE, "checkpoint": str(state)}),                   # ... and resumed with 2 processes
    ]
    mp.spawn(_rank_main, args=(2, free_port(), jobs, str(out)), nprocs=2, join=True)
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]
    return {name: [r[name] for r in ranks] for name, _ in jobs} | {"state": state}


@pytest.fixture(scope="module")
def alone(standin):
    """The single-process runs with the same seeds and meta-batches (no process group: world size 1)."""
    return {"sine": run_job(SINE), "proto": run_job({**PROTO, "standin": standin})}


def max_diff(a: dict, b: dict) -> float:
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.mark.parametrize("job", ["sine", "proto"])
def test_two_processes_end_where_one_process_ends(two_ranks, alone, job):
    r0, r1 = two_ranks[job]
    single = alone[job]
    # each rank computed only its share of every meta-batch, together exactly the meta-batch
    batch = (SINE if job == "sine" else PROTO)["meta_batch_size"]
    assert len(r0["seen"]) == len(r1["seen"]) == STEPS
    assert all(a + b == batch and a < batch and b < batch for a, b in zip(r0["seen"], r1["seen"]))
    assert all(n == batch for n in single["seen"])
    # the ranks hold the same parameters, equal to one process's after 50 steps (float rounding only)
    assert max_diff(r0["params"], r1["params"]) == 0.0
    assert max_diff(r0["params"], single["params"]) < (1e-4 if job == "sine" else 1e-6)
    # the loss of the whole meta-batch is reported on every rank, step by step
    assert torch.allclose(torch.tensor(r0["loss"]), torch.tensor(single["loss"]), rtol=1e-4, atol=1e-6)
    assert r0["loss"] == r1["loss"]


def test_two_copies_that_do_not_all_reduce_are_not_distributed_training(two_ranks, alone):
    """The control: ranks that split the batch but skip the all-reduce follow different gradients, so they drift
    apart from each other and from one process — far beyond the rounding that separates real distributed
    training from one process."""
    r0, r1 = two_ranks["sine_alone"]
    single, real = alone["sine"]["params"], two_ranks["sine"][0]["params"]
    rounding = max_diff(real, single)
    assert max_diff(r0["params"], r1["params"]) > 1e-2
    assert min(max_diff(r0["params"], single), max_diff(r1["params"], single)) > 1e-2 > 100 * rounding


def test_resume_with_two_processes_equals_an_uninterrupted_run(two_ranks):
    first, resumed, straight = two_ranks["sine_first_part"][0], two_ranks["sine_resumed"], two_ranks["sine"][0]
    assert len(first["seen"]) == 20 and len(resumed[0]["seen"]) == STEPS - 20  # it continued, not restarted
    assert max_diff(resumed[0]["params"], straight["params"]) == 0.0
    assert max_diff(resumed[1]["params"], straight["params"]) == 0.0
    state = torch.load(two_ranks["state"], weights_only=True)
    assert state["world_size"] == 2 and state["step"] == STEPS


def test_a_resume_with_another_number_of_processes_is_refused(two_ranks, tmp_path, capsys):
    from meta_course.__main__ import main

    state = two_ranks["state"]
    with pytest.raises(ValueError, match=r"world_size=2 process\(es\); this run has 1: resume it with the same number "
                                         r"\(--nproc 2"):
        recipes.train_recipe("maml_sine", steps=STEPS + 1, checkpoint=state, progress=False, device="cpu")
    assert main(["train", "maml_sine", "--nproc", "3", "--checkpoint", str(state), "--out", str(tmp_path / "m.pt")]) == 2
    assert "world_size=2 process(es), not --nproc 3: resume it with --nproc 2" in capsys.readouterr().err


# -- errors that need no process group ---------------------------------------------------------------------------
def test_slices_cover_every_task_once():
    for n in range(1, 12):
        for world_size in range(1, n + 1):
            parts = [distributed.task_slice(n, r, world_size) for r in range(world_size)]
            assert [i for p in parts for i in range(p.start, p.stop)] == list(range(n))
            assert max(p.stop - p.start for p in parts) - min(p.stop - p.start for p in parts) <= 1
    e = Episode(*(torch.arange(7.0).view(7, 1) for _ in range(4)))
    shares = [distributed.split_batch(e, r, 3)[1] for r in range(3)]
    assert shares == [3 / 7, 2 / 7, 2 / 7]
    with pytest.raises(ValueError, match="cannot be split across processes"):
        distributed.split_batch({"x": torch.zeros(3)}, 0, 2)


def test_bad_process_counts_are_refused_with_the_range_and_the_fix(capsys):
    from meta_course.__main__ import main

    assert main(["train", "maml_sine", "--nproc", "0"]) == 2
    assert "--nproc=0 is out of range: allowed [1, 1024]" in capsys.readouterr().err
    assert main(["train", "maml_sine", "--nproc", "26"]) == 2
    assert "26 processes for a meta-batch of 25 task(s): each process needs at least one task, so allowed 1 to 25. " \
           "Use --nproc 25 or fewer" in capsys.readouterr().err
    assert main(["train", "maml_sine", "--nproc", "4", "--meta-batch-size", "3"]) == 2
    assert "allowed 1 to 3" in capsys.readouterr().err
    assert main(["train", "gan_ring", "--nproc", "2"]) == 2
    err = capsys.readouterr().err
    assert "recipe 'gan_ring' (learner 'gan') cannot be meta-trained on 2 processes" in err and "maml" in err
    with pytest.raises(ValueError, match="allowed 1 to the meta-batch size"):
        distributed.check_world_size(0, 4)


def test_the_loop_refuses_a_learner_it_cannot_split():
    from meta_course.train import _check_distributable

    learner, _ = recipes.build("gan_ring")
    with pytest.raises(ValueError, match=r"recipe 'gan_ring' \(learner 'gan'\) cannot be meta-trained on 2 processes"):
        _check_distributable(learner, 64, 2, {"recipe": "gan_ring"})
    maml, _ = recipes.build("maml_sine")
    with pytest.raises(ValueError, match="recipe 'maml_sine'.*30 processes for a meta-batch of 25"):
        _check_distributable(maml, 25, 30, {"recipe": "maml_sine"})


def test_only_learners_with_the_default_meta_step_are_split():
    """A learner marked ``distributed`` must reach the all-reduce: the default meta_step calls it."""
    from meta_course.learners.base import Learner
    from meta_course.learners.table import LEARNERS

    for name, cls in LEARNERS.items():
        if cls.distributed:
            assert cls.meta_step is Learner.meta_step, name
    assert {"maml", "fomaml", "meta-sgd", "reptile", "protonet", "matching"} <= {n for n, c in LEARNERS.items()
                                                                                  if c.distributed}
    assert not any(LEARNERS[n].distributed for n in ("gan", "wgan-gp", "figr", "metagan", "rl2", "maml-rl", "pearl"))


def test_one_process_is_untouched_by_the_split(tmp_path):
    """Without a process group the loop is today's: mixed precision is ignored on cpu and the state says world 1."""
    learner, h = recipes.train_recipe("maml_sine", steps=3, progress=False, device="cpu",
                                      checkpoint=tmp_path / "s.pt", log_every=1)
    assert torch.load(tmp_path / "s.pt", weights_only=True)["world_size"] == 1
    assert learner.grad_scaler is None and learner.autocast_dtype is None and learner.task_share == 1.0


# -- the full-size recipes: a few steps on the synthetic stand-in, on the cpu ---------------------------------------
FULL = sorted(n for n, r in recipes.RECIPES.items() if "_vinyals_" in n)


def test_the_full_size_recipes_are_the_papers_settings():
    assert len(FULL) == 10
    for name in FULL:
        r = recipes.RECIPES[name]
        assert r.task_args["split"] == "vinyals" and r.task_args["part"] == "train+val" and r.task_args["rotations"]
        assert r.config["model"]["hidden"] == 64 and r.mixed_precision
    maml5, maml20 = recipes.RECIPES["maml_vinyals_5way1shot"], recipes.RECIPES["maml_vinyals_20way5shot"]
    assert (maml5.config["inner_lr"], maml5.config["inner_steps"], maml5.eval_knobs, maml5.meta_batch_size,
            maml5.steps) == (0.4, 1, {"inner_steps": 3}, 32, 60000)
    assert (maml20.config["inner_lr"], maml20.config["inner_steps"], maml20.meta_batch_size) == (0.1, 5, 16)
    proto = recipes.RECIPES["protonet_vinyals_5shot"]
    assert (proto.task_args["n_way"], proto.task_args["k_shot"], proto.task_args["q_query"],
            proto.config["halve_lr_every"]) == (60, 5, 5, 2000)


#: trained two steps here (the cheapest setting of each learner: the 20-way and 60-way ones take minutes on a
#: loaded CPU); every recipe of FULL is built and samples its episodes in the test below
SMOKE = ["maml_vinyals_5way1shot", "protonet_vinyals_1shot", "matching_vinyals_5way1shot"]


def test_every_full_size_recipe_builds_and_samples_its_episodes(standin):
    patched = use_standin(standin)
    try:
        for name in FULL:
            r = recipes.get_recipe(name)
            learner, sample = recipes.build(name, task_args={"root": standin["root"]})
            ep = sample(torch.Generator().manual_seed(0), 1)
            n, k, q = r.task_args["n_way"], r.task_args["k_shot"], r.task_args["q_query"]
            assert tuple(ep.x_support.shape) == (1, n * k, 1, 28, 28) and tuple(ep.x_query.shape) == (1, n * q, 1, 28, 28)
            assert learner.name == r.learner and learner.distributed
    finally:
        restore_standin(patched)


@pytest.mark.parametrize("name", SMOKE)
def test_a_full_size_recipe_trains_a_few_steps_on_the_standin(standin, name, tmp_path):
    """Two steps of the real recipe (64 channels, its N-way K-shot; meta-batch at most 2) on the cpu, then an
    evaluation on the stand-in's test characters: it runs end to end and stays finite."""
    from meta_course.evaluate import evaluate

    patched = use_standin(standin)
    try:
        before = recipes.build(name, task_args={"root": standin["root"]})[0].state_dict()
        r = recipes.get_recipe(name)
        learner, history = recipes.train_recipe(name, steps=2, meta_batch_size=min(2, r.meta_batch_size), device="cpu",
                                                progress=False, log_every=1, task_args={"root": standin["root"]},
                                                out=tmp_path / "f.pt")
        n_way = 5 if r.learner == "protonet" else r.task_args["n_way"]
        tasks = recipes.task_sampler(r.task, **{**r.task_args, "root": standin["root"], "part": "test",
                                                "n_way": n_way})(torch.Generator().manual_seed(0), 2)
        result = evaluate(learner, tasks, **r.eval_knobs)
    finally:
        restore_standin(patched)
    assert len(history.loss) == 2 and all(torch.isfinite(torch.tensor(history.loss)))
    assert max_diff(learner.state_dict(), before) > 0
    assert 0.0 <= result.mean <= 1.0
    assert torch.load(tmp_path / "f.pt", weights_only=True)["world_size"] == 1


# -- the command line: --nproc runs torchrun ------------------------------------------------------------------------
def test_train_nproc_runs_torchrun_and_rank_0_writes_world_size_2(tmp_path, capsys):
    """``train RECIPE --nproc 2`` launches torchrun (2 gloo processes), which ends where one process ends.
    About 30 s on a loaded 2-core machine (torchrun starts two Python processes)."""
    from meta_course.__main__ import main

    assert main(["train", "maml_sine", "--nproc", "2", "--steps", "8", "--threads", "1", "--no-progress",
                 "--out", str(tmp_path / "two.pt")]) == 0
    assert main(["train", "maml_sine", "--steps", "8", "--threads", "1", "--no-progress",
                 "--out", str(tmp_path / "one.pt")]) == 0
    two, one = (torch.load(tmp_path / f"{n}.pt", weights_only=True) for n in ("two", "one"))
    assert (two["world_size"], one["world_size"]) == (2, 1)
    assert max_diff(two["state_dict"], one["state_dict"]) < 1e-5
    assert torch.load(tmp_path / "two.state.pt", weights_only=True)["world_size"] == 2


def test_bench_scaling_refuses_bad_settings():
    import argparse

    from meta_course.bench import scaling

    def args(**kw):
        base = dict(recipe="maml_sine", nproc=[1, 2], steps=10, warmup=2, meta_batch_size=None, device="cpu",
                    repeats=1)
        return argparse.Namespace(**{**base, **kw})

    with pytest.raises(ValueError, match="bench scaling runs on cpu"):
        scaling.run(args(device="tpu"))
    with pytest.raises(ValueError, match="26 processes for a meta-batch of 25"):
        scaling.run(args(nproc=[1, 26]))
    with pytest.raises(ValueError, match="--steps=0 is out of range"):
        scaling.run(args(steps=0))


def test_the_default_meta_step_with_a_grad_scaler_takes_the_unscaled_step():
    """The mixed-precision branch of the default meta-step (scale, backward, all-reduce, unscale, clip, step,
    update), exercised with a CPU GradScaler: a power-of-two scale is undone exactly, so the step equals the plain one."""
    plain, _ = recipes.build("maml_sine")
    scaled, sample = recipes.build("maml_sine")
    batch = sample(torch.Generator().manual_seed(0), 5)
    for learner in (plain, scaled):
        learner.clip_grad_norm = 1.0
    scaled.grad_scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 12)
    a = plain.meta_step(batch, plain.optimizers(1e-3))
    b = scaled.meta_step(batch, scaled.optimizers(1e-3))
    assert a == b
    assert max_diff(plain.state_dict(), scaled.state_dict()) < 1e-7
    assert scaled.grad_scaler.get_scale() == 2.0 ** 12  # finite gradients: the scale is kept (grows after 2000 steps)
    assert max_diff(plain.state_dict(), recipes.build("maml_sine")[0].state_dict()) > 0
