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
from hypothesis import HealthCheck, assume, given, settings
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


@pytest.mark.parametrize("flag", ["--threads", "--jobs"])
@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_bench_refuses_a_bad_threads_or_jobs_count_in_one_line_before_any_work(flag, data):
    """``bench generation/metagan/ring/navigation/omniglot_data --threads 0`` used to end in torch's traceback
    (``set_num_threads expects a positive integer``) after loading their checkpoints."""
    benches = _bench_flags(flag)
    assert len(benches) >= (7 if flag == "--threads" else 2), benches
    bench = data.draw(st.sampled_from(benches), label="bench")
    high = 1024 if flag == "--threads" else 64
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
