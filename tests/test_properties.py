"""Property tests (hypothesis): every argument either works or is refused in one line, and the invariants of the
samplers, the functional core and the resumable state hold for any input, not only the hand-picked ones.

Each property runs a bounded number of examples (``max_examples``) with no deadline, so the module takes seconds.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from meta_course.__main__ import main

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _cli(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in-process: (exit code, stderr). argparse's own refusals exit 2 too; anything else raises."""
    err, threads = io.StringIO(), torch.get_num_threads()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse: "usage: … error: …", exit 2
                code = stop.code
    finally:
        torch.set_num_threads(threads)
    return code, err.getvalue()


def _works_or_one_line(code: int, err: str, argv) -> None:
    assert "Traceback" not in err, (argv, err)
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        lines = [line for line in err.strip().splitlines() if line]
        assert lines and "error: " in lines[-1], (argv, err)
        if not lines[0].startswith("usage:"):  # our own errors: exactly one line
            assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


# an argument as a user might type it: any integer (huge ones too), any float (nan, inf, ±0, subnormals), any text
ANY = st.one_of(st.integers().map(str), st.integers(-2**80, 2**80).map(str), st.floats().map(str),
                st.text(max_size=12))


def _argument(cheap: st.SearchStrategy, costly=lambda n: False) -> st.SearchStrategy:
    """Cheap valid values or anything at all, except integers the command would accept but take long to run."""
    return st.one_of(cheap.map(str), ANY).filter(lambda v: _int(v) is None or not costly(_int(v)))


#: every numeric or free-text flag of ``train``, with the other flags fixed to cheap valid values
TRAIN = {
    "--steps": _argument(st.integers(0, 2), lambda n: n > 2),
    "--seed": _argument(st.integers(0, 2**32 - 1)),
    "--checkpoint-every": _argument(st.integers(1, 3)),
    "--inner-lr": _argument(st.floats(1e-6, 1.0)),
    "--inner-steps": _argument(st.integers(0, 3), lambda n: 3 < n <= 10_000),
    "--threads": _argument(st.just(1), lambda n: 1 < n <= 1024),  # a valid count changes torch's global pool
    "--device": st.one_of(st.sampled_from(["cpu", "auto", "cuda", "cuda:7", "mps", "meta", "cpu:0", "xla", ""]), ANY),
}


@pytest.mark.parametrize("flag", TRAIN)
@FAST
@given(data=st.data())
def test_any_train_argument_works_or_gives_one_line(flag, data):
    value = data.draw(TRAIN[flag], label=flag)
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["train", "maml_sine", "--out", str(Path(tmp) / "c.pt"), "--no-progress", "--device=cpu", "--steps=1",
                f"{flag}={value}"]
        code, err = _cli(argv)
        _works_or_one_line(code, err, argv)
        if code == 0:
            assert (Path(tmp) / "c.pt").exists()


EVALUATE = {
    "--tasks": _argument(st.integers(1, 3), lambda n: 3 < n <= 100_000),  # above: refused, not a memory blow-up
    "--k-shot": _argument(st.integers(1, 50), lambda n: 50 < n <= 10**4),
    "--inner-steps": _argument(st.integers(0, 3), lambda n: 3 < n <= 10**4),
    "--inner-lr": _argument(st.floats(1e-6, 1.0)),
    "--seed": _argument(st.integers(0, 2**32 - 1)),
}


@pytest.mark.parametrize("flag", EVALUATE)
@FAST
@given(data=st.data())
def test_any_evaluate_argument_works_or_gives_one_line(flag, data):
    value = data.draw(EVALUATE[flag], label=flag)
    argv = ["evaluate", "maml_sine", "--tasks=2", f"{flag}={value}"] if flag != "--inner-steps" else \
        ["evaluate", "maml_sine", "--tasks=2", flag, value]
    code, err = _cli(argv)
    _works_or_one_line(code, err, argv)


def _bench_flags(flag: str) -> list[str]:
    import argparse

    from meta_course.bench.table import BENCHES

    names = []
    for name, module in BENCHES.items():
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        if any(flag in action.option_strings for action in parser._actions):
            names.append(name)
    return names


@pytest.mark.parametrize("flag", ["--threads", "--jobs", "--tasks", "--episodes", "--trials", "--users", "--problems",
                                  "--sequences"])
@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_bench_refuses_a_bad_shared_count_in_one_line_before_any_work(flag, data):
    """``bench generation/metagan/ring/navigation/omniglot_data --threads 0`` used to end in torch's traceback
    (``set_num_threads expects a positive integer``) after loading their checkpoints; a sample size with no upper
    bound (``bench sine --tasks 3000000000``) could exhaust the machine's memory."""
    benches = _bench_flags(flag)
    assert len(benches) >= {"--threads": 7, "--jobs": 2, "--tasks": 3, "--episodes": 3}.get(flag, 1), benches
    bench = data.draw(st.sampled_from(benches), label="bench")
    high = {"--threads": 1024, "--jobs": 64}.get(flag, 100_000)
    value = data.draw(st.one_of(st.integers(max_value=0), st.integers(min_value=high + 1)), label=flag)
    argv = ["bench", bench, flag, str(value)]
    code, err = _cli(argv)
    assert code == 2 and err.startswith(f"error: {flag}={value} is out of range") and err.count("\n") == 1, (argv, err)


@pytest.mark.parametrize("error", [RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't "
                                                "allocate memory: you tried to allocate 400000000000 bytes"),
                                   MemoryError(), RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")])
def test_running_out_of_memory_is_one_line_and_other_runtime_errors_keep_their_traceback(monkeypatch, capsys, error):
    import meta_course.cli.evaluate as command

    def run(args):
        raise error

    monkeypatch.setattr(command, "run", run)
    assert main(["evaluate", "maml_sine"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: out of memory") and "fewer tasks" in err and err.count("\n") == 1, err
    monkeypatch.setattr(command, "run", lambda args: (_ for _ in ()).throw(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        main(["evaluate", "maml_sine"])


# ---- episode sampling -----------------------------------------------------------------------------------------
def _toy_split():
    """13 characters in 3 alphabets (6, 4, 3), 20 drawings each, 5×5 random images: every drawing and every
    rotation of it is a distinct image, so an episode's pixels say which (character, rotation, drawing) they are."""
    from meta_course.tasks.omniglot.splits import OmniglotSplit

    g = torch.Generator().manual_seed(0)
    alphabet_of = torch.tensor([0] * 6 + [1] * 4 + [2] * 3)
    images = torch.randint(0, 256, (13, 20, 5, 5), generator=g, dtype=torch.uint8)
    return OmniglotSplit(images, ["A", "B", "C"], [f"c{i}" for i in range(13)], alphabet_of, "toy:train")


TOY = _toy_split()
#: pixels → (character, rotation, drawing), built independently of the sampler
WHICH = {torch.rot90(TOY.images[c, d], r, dims=(-2, -1)).numpy().tobytes(): (c, r, d)
         for c in range(13) for d in range(20) for r in range(4)}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n_way=st.integers(-2, 60), k_shot=st.integers(-1, 21), q_query=st.integers(-1, 21), within=st.booleans(),
       rotations=st.booleans(), n_tasks=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_omniglot_episodes_keep_their_invariants_for_any_valid_setting(n_way, k_shot, q_query, within, rotations,
                                                                         n_tasks, seed):
    from meta_course.tasks.omniglot.episodes import OmniglotTasks

    n_rot = 4 if rotations else 1
    largest = (6 if within else 13) * n_rot
    valid = 1 <= n_way <= largest and 1 <= k_shot <= 19 and 1 <= q_query <= 20 - k_shot
    args = dict(n_way=n_way, k_shot=k_shot, q_query=q_query, within_alphabet=within, rotations=rotations, data=TOY)
    if not valid:
        with pytest.raises(ValueError, match=r"(n_way|k_shot|q_query)=.* (out of range|must be)"):
            OmniglotTasks(**args)
        return
    ep = OmniglotTasks(**args).sample(torch.Generator().manual_seed(seed), n_tasks)
    assert ep.x_support.shape == (n_tasks, n_way * k_shot, 1, 5, 5) and ep.x_query.shape == (n_tasks, n_way * q_query, 1, 5, 5)
    for t in range(n_tasks):
        assert torch.equal(ep.y_support[t], torch.arange(n_way).repeat_interleave(k_shot))
        assert torch.equal(ep.y_query[t], torch.arange(n_way).repeat_interleave(q_query))
        pixels = lambda x: [WHICH[(img[0] * 255).round().to(torch.uint8).numpy().tobytes()] for img in x]  # noqa: E731
        support, query = pixels(ep.x_support[t]), pixels(ep.x_query[t])
        classes = {}
        for (c, r, d), label in [*zip(support, ep.y_support[t].tolist()), *zip(query, ep.y_query[t].tolist())]:
            assert classes.setdefault(label, (c, r)) == (c, r), "one label, two classes"
            assert rotations or r == 0
        assert len(set(classes.values())) == n_way, "two labels, one class"
        assert len(set(support) | set(query)) == len(support) + len(query), "a drawing used twice (support/query overlap)"
        if within:
            assert len({int(TOY.alphabet_of[c]) for c, _ in classes.values()}) == 1, "classes from several alphabets"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(low=st.one_of(st.floats(-10, 10), st.floats()), high=st.one_of(st.floats(-10, 10), st.floats()),
       k_shot=st.integers(-2, 30),
       n_tasks=st.integers(1, 5))
def test_sine_tasks_are_finite_in_range_or_refused(low, high, k_shot, n_tasks):
    """A range is refused unless it is finite, ordered and of moderate size (a bound beyond float32, e.g. -3.4e38,
    sampled NaN amplitudes without a word); every sample lies in it and y = A·sin(x − φ)."""
    from meta_course.tasks.sine import SineTasks

    try:
        tasks = SineTasks(amplitude=(low, high))
    except ValueError as err:
        assert "amplitude" in str(err) and not -1e6 <= low < high <= 1e6
        return
    assert -1e6 <= low < high <= 1e6
    if not 1 <= k_shot <= 10_000:
        with pytest.raises(ValueError, match="k_shot"):
            tasks.sample(torch.Generator().manual_seed(0), n_tasks, k_shot)
        return
    g = torch.Generator().manual_seed(0)
    amplitude, phase = tasks.sample_params(g, n_tasks)
    assert torch.isfinite(amplitude).all() and ((amplitude >= low) & (amplitude <= high)).all(), (low, high, amplitude)
    ep = tasks.sample(torch.Generator().manual_seed(0), n_tasks, k_shot, n_query=3)
    assert ((ep.x_support >= -5) & (ep.x_support <= 5)).all()
    a, p = amplitude.view(-1, 1, 1), phase.view(-1, 1, 1)
    assert torch.allclose(ep.y_support, a * torch.sin(ep.x_support - p))


# ---- the functional core --------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(1, 8), d_in=st.integers(1, 3), d_out=st.integers(1, 2), inner_lr=st.floats(1e-3, 0.5),
       inner_steps=st.integers(0, 4), first_order=st.booleans(), seed=st.integers(0, 2**16))
def test_adapt_is_gradient_descent_on_the_support_mse(n, d_in, d_out, inner_lr, inner_steps, first_order, seed):
    """``core.functional.adapt`` on a linear model equals gradient descent written out by hand (float64):
    ∇_W mean((XWᵀ + b − Y)²) = 2/(n·d_out) (XWᵀ + b − Y)ᵀ X, ∇_b = 2/(n·d_out) Σ_rows (XWᵀ + b − Y)."""
    from meta_course.core.functional import adapt, get_params

    g = torch.Generator().manual_seed(seed)
    net = nn.Linear(d_in, d_out).double()
    params = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in get_params(net).items()}
    x = torch.randn(n, d_in, generator=g, dtype=torch.float64)
    y = torch.randn(n, d_out, generator=g, dtype=torch.float64)
    fast = adapt(net, params, x, y, nn.functional.mse_loss, inner_lr=inner_lr, inner_steps=inner_steps,
                 first_order=first_order)
    w, b = params["weight"].clone(), params["bias"].clone()
    for _ in range(inner_steps):
        r = x @ w.T + b - y
        w, b = w - inner_lr * 2 / r.numel() * r.T @ x, b - inner_lr * 2 / r.numel() * r.sum(0)
    assert torch.allclose(fast["weight"], w, rtol=1e-10, atol=1e-12) and torch.allclose(fast["bias"], b, rtol=1e-10,
                                                                                       atol=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(inner_lr=st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=4), st.none()),
       inner_steps=st.one_of(st.integers(), st.floats(), st.booleans()))
def test_adapt_refuses_bad_inner_knobs_naming_them(inner_lr, inner_steps):
    from meta_course.core.functional import adapt, get_params

    net = nn.Linear(1, 1)
    good_lr = not isinstance(inner_lr, (bool, str)) and inner_lr is not None and math.isfinite(inner_lr) and inner_lr > 0
    good_steps = isinstance(inner_steps, int) and not isinstance(inner_steps, bool) and 0 <= inner_steps <= 10_000
    x = torch.randn(3, 1)
    if good_lr and good_steps:
        assume_cheap = min(inner_steps, 3)
        adapt(net, get_params(net), x, x, nn.functional.mse_loss, inner_lr=inner_lr, inner_steps=assume_cheap)
        return
    with pytest.raises(ValueError, match=r"inner_(lr|steps)=.*(must be|out of range)"):
        adapt(net, get_params(net), x, x, nn.functional.mse_loss, inner_lr=inner_lr, inner_steps=inner_steps)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shapes=st.lists(st.lists(st.integers(1, 4), max_size=3), min_size=1, max_size=4), tasks=st.integers(0, 3))
def test_flatten_and_unflatten_are_inverse(shapes, tasks):
    """Found: ``unflatten`` failed (TypeError from ``reshape()``) on a scalar parameter, e.g. a learned log-temperature."""
    from meta_course.core.functional import flatten, unflatten

    lead = (tasks,) if tasks else ()
    params = {f"p{i}": torch.randn((*lead, *s)) for i, s in enumerate(shapes)}
    like = {k: v[0] if tasks else v for k, v in params.items()}
    vector = flatten(params, batch_dims=len(lead))
    assert vector.shape == (*lead, sum(v.numel() for v in like.values()))
    back = unflatten(vector, like)
    assert all(torch.equal(back[k], params[k]) for k in params)
    with pytest.raises(ValueError, match="entries but the parameters have"):
        unflatten(torch.cat([vector, vector[..., :1]], -1), like)


# ---- the resumable state and checkpoints ----------------------------------------------------------------------
def _toy_learner():
    """Linear regression whose meta-loss draws from torch's global RNG (the loop must restore it on resume)."""
    from meta_course.learners.base import Learner

    class Toy(Learner):
        name = "toy"

        def __init__(self):
            super().__init__()
            self.config = {}
            self.w = nn.Parameter(torch.zeros(3))

        def meta_loss(self, batch):
            noise = 0.1 * torch.randn(batch.x.shape[0])
            return ((batch.x @ self.w - batch.y + noise) ** 2).mean()

    return Toy()


def _toy_tasks(generator, n):
    from typing import NamedTuple

    class Batch(NamedTuple):
        x: torch.Tensor
        y: torch.Tensor

        def to(self, device):
            return self

    x = torch.randn(n, 3, generator=generator)
    return Batch(x, x @ torch.tensor([1.0, -2.0, 0.5]))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(steps=st.integers(1, 12), every=st.integers(1, 5), stop=st.integers(1, 12), log_every=st.integers(1, 4))
def test_any_interruption_resumes_to_the_uninterrupted_run(steps, every, stop, log_every):
    """Found: the values of the steps after the last logged point were lost on resume (the next logged point was
    the mean of the resumed steps only), so a resumed run's curve differed whenever checkpoint_every was not a
    multiple of log_every."""
    from meta_course.train import train

    stop = min(stop, steps)

    class Interrupt(Exception):
        pass

    def run(checkpoint=None, stop_at=None):
        torch.manual_seed(0)
        learner = _toy_learner()

        def callback(step, values):
            if step == stop_at:
                raise Interrupt

        history = train(learner, _toy_tasks, steps, meta_batch_size=4, outer_lr=0.05, seed=1, checkpoint=checkpoint,
                        checkpoint_every=every, log_every=log_every, progress=False, device="cpu", callback=callback)
        return learner, history

    reference, ref_history = run()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "s.pt"
        with pytest.raises(Interrupt):
            run(state, stop)
        torch.manual_seed(999)
        resumed, history = run(state)
    assert torch.equal(reference.w, resumed.w)
    assert history.values == ref_history.values and history.step == ref_history.step


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_a_checkpoint_cut_anywhere_is_one_line_naming_the_file(cut):
    """Any truncation of a learner file (a copy interrupted, a full disk) is refused with the file named."""
    from meta_course.checkpoints import checkpoint_path
    from meta_course.learners import load_learner

    data = checkpoint_path("maml_sine").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cut.pt"
        path.write_bytes(data[:int(cut * len(data))])
        with pytest.raises(ValueError, match=r"cut\.pt (is not a readable checkpoint|holds)"):
            load_learner(path)
