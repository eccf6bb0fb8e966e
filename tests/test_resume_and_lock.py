"""Asking for an earlier checkpoint, and the lock on ``--out`` where ``fcntl`` is missing (Windows).

1. A resume to fewer steps than done is refused; the message names the one command that gives the earlier model
   (``--restart --steps N``) and says whether it is this run's own step-N model (constant step-size schedule) or
   the model of an N-step run (a schedule over the whole run: the CNP's cosine). Both claims are checked bit for bit.
2. Without ``fcntl`` the lock file itself is the lock (``O_EXCL``, our PID inside, a dead holder's file taken over).
   These tests switch ``fcntl`` off (monkeypatch) so the Windows path runs here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from meta_course import recipes
from meta_course.__main__ import main
from meta_course.core import io
from meta_course.core.io import LockedError, exclusive_lock
from meta_course.learners import load_learner


def _cli_train(tmp_path, name, *extra, out="c.pt"):
    return main(["train", name, "--out", str(tmp_path / out), "--no-progress", "--device", "cpu", "--threads", "1",
                 *extra])


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def _weights(obj) -> dict:
    return {k: v.clone() for k, v in obj.items()}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _six_steps_keeping_step_four(tmp_path, name) -> dict:
    """Train ``name`` 6 steps through the CLI into tmp_path/c.pt; return the run's own weights after step 4
    (the resumable state saved at step 4, copied before step 6 overwrites it)."""
    state, snap = tmp_path / "c.state.pt", tmp_path / "step4.state.pt"

    def keep(step, values):
        if step == 5:
            shutil.copy(state, snap)

    recipes.train_recipe(name, steps=6, out=tmp_path / "c.pt", checkpoint=state, checkpoint_every=4,
                         progress=False, device="cpu", threads=1, callback=keep)
    saved = torch.load(snap, weights_only=True)
    assert saved["step"] == 4
    return _weights(saved["learner"]["state_dict"])


def test_the_earlier_model_of_a_constant_schedule_run_is_retrained_bit_for_bit(tmp_path, capsys):
    step4 = _six_steps_keeping_step_four(tmp_path, "maml_sine")
    capsys.readouterr()
    assert _cli_train(tmp_path, "maml_sine", "--steps", "4") == 2  # fewer steps than done: refused
    err = _one_line_error(capsys)
    assert "step 6" in err and "--restart --steps 4" in err and "this run's own model at step 4" in err
    assert "--out" in err  # how to keep the 6-step state
    # the advice, into another file: exactly the weights this run had at step 4; the 6-step state is kept
    assert _cli_train(tmp_path, "maml_sine", "--restart", "--steps", "4", out="other.pt") == 0
    assert _equal(load_learner(tmp_path / "other.pt").state_dict(), step4)
    assert torch.load(tmp_path / "c.state.pt", weights_only=True)["step"] == 6
    # the advice as given (same --out): the same weights, and the state is now the 4-step run's
    assert _cli_train(tmp_path, "maml_sine", "--restart", "--steps", "4") == 0
    assert _equal(load_learner(tmp_path / "c.pt").state_dict(), step4)
    assert torch.load(tmp_path / "c.state.pt", weights_only=True)["step"] == 4


def test_with_a_schedule_over_the_whole_run_the_message_says_it_is_another_run(tmp_path, capsys):
    """The CNP's cosine step size depends on the total steps: step 4 of 6 is not a 4-step run, and the message
    says so rather than promising this run's step 4."""
    step4 = _six_steps_keeping_step_four(tmp_path, "cnp_sine")
    capsys.readouterr()
    assert _cli_train(tmp_path, "cnp_sine", "--steps", "4") == 2
    err = _one_line_error(capsys)
    assert "--restart --steps 4" in err and "the model of a 4-step run, not this run's step 4" in err
    assert _cli_train(tmp_path, "cnp_sine", "--restart", "--steps", "4", out="other.pt") == 0
    retrained = load_learner(tmp_path / "other.pt").state_dict()
    assert not _equal(retrained, step4)  # so the message is right not to promise it
    fresh, _ = recipes.train_recipe("cnp_sine", steps=4, progress=False, device="cpu", threads=1)
    assert _equal(retrained, fresh.state_dict())  # and it is, bit for bit, a fresh 4-step run


# -- the lock without fcntl -------------------------------------------------------------------------------------
@pytest.fixture
def no_fcntl(monkeypatch):
    monkeypatch.setattr(io, "fcntl", None)


HOLD = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
os.write(fd, str(os.getpid()).encode())
os.close(fd)
print("ready", flush=True)
time.sleep(60)
"""


def test_without_fcntl_the_lock_file_holds_our_pid_and_a_second_lock_fails(tmp_path, no_fcntl):
    out = tmp_path / "c.pt"
    with exclusive_lock(out) as lock:
        assert lock.read_text() == str(__import__("os").getpid())
        with pytest.raises(LockedError, match=r"c\.pt is in use by another run \(pid \d+; lock file"):
            with exclusive_lock(out):
                pass
        assert lock.exists()  # the refused second lock left the holder's file alone
    assert not lock.exists()
    with exclusive_lock(out):  # released: free again
        pass


def test_without_fcntl_a_running_holder_blocks_the_cli_and_its_stale_file_is_taken_over(tmp_path, capsys, no_fcntl):
    out = tmp_path / "c.pt"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, f"{out}.lock"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert _cli_train(tmp_path, "maml_sine", "--steps", "2") == 2
        err = _one_line_error(capsys)
        assert f"pid {holder.pid}" in err and "c.pt" in err
        assert not out.exists() and not out.with_suffix(".state.pt").exists()
    finally:
        holder.kill()
        holder.wait()
    # killed: its lock file is left behind (nothing releases it), names a dead PID, and is taken over
    assert Path(f"{out}.lock").read_text() == str(holder.pid)
    with pytest.warns(RuntimeWarning, match=rf"stale lock file .*c\.pt\.lock .*pid {holder.pid}"):
        assert _cli_train(tmp_path, "maml_sine", "--steps", "2") == 0
    assert out.exists() and not Path(f"{out}.lock").exists()


def test_without_fcntl_an_empty_lock_file_is_held_while_young_and_stale_when_old(tmp_path, no_fcntl, monkeypatch):
    """A run killed between creating the file and writing its PID leaves it empty; one being written is young."""
    out = tmp_path / "c.pt"
    Path(f"{out}.lock").write_text("")
    with pytest.raises(LockedError, match="being written"):
        with exclusive_lock(out):
            pass
    monkeypatch.setattr(io, "EMPTY_LOCK_GRACE", 0.0)
    with pytest.warns(RuntimeWarning, match="stale lock file"):
        with exclusive_lock(out) as lock:
            assert lock.read_text().isdigit()


def test_pid_running_tells_a_live_process_from_a_finished_one():
    import os

    assert io.pid_running(os.getpid())
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert not io.pid_running(done.pid) and not io.pid_running(0) and not io.pid_running(-5)


def test_with_fcntl_a_stale_lock_file_never_blocks(tmp_path):
    """The OS lock path: a file left by a dead run holds no flock, so it is simply reused (no warning)."""
    if io.fcntl is None:  # pragma: no cover - Windows
        pytest.skip("fcntl missing: the path above is the lock")
    out = tmp_path / "c.pt"
    Path(f"{out}.lock").write_text("999999999")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with exclusive_lock(out) as lock:
            assert lock.read_text() == str(__import__("os").getpid())


def test_a_continuation_warns_when_the_schedule_depended_on_the_earlier_total(tmp_path, capsys):
    """4 then 6 steps: with a constant schedule exactly the 6-step run (tests/test_faults.py), silently; with the
    CNP's cosine decay the first 4 steps used the 4-step schedule — a different model, which the run now says."""
    assert _cli_train(tmp_path, "cnp_sine", "--steps", "4") == 0
    with pytest.warns(RuntimeWarning, match=r"from step 4 to 6 steps: .*4-step run.*--restart --steps 6"):
        assert _cli_train(tmp_path, "cnp_sine", "--steps", "6") == 0
    whole, _ = recipes.train_recipe("cnp_sine", steps=6, progress=False, device="cpu", threads=1)
    assert not _equal(load_learner(tmp_path / "c.pt").state_dict(), whole.state_dict())  # the warning is true
    assert _cli_train(tmp_path, "maml_sine", "--steps", "4", out="m.pt") == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constant schedule: nothing to warn about
        assert _cli_train(tmp_path, "maml_sine", "--steps", "6", out="m.pt") == 0


def test_without_fcntl_a_file_with_our_pid_that_we_do_not_hold_is_stale(tmp_path, no_fcntl):
    """After a reboot a new process can get the PID written by a killed run: that file is not a lock we hold."""
    import os

    out = tmp_path / "c.pt"
    Path(f"{out}.lock").write_text(str(os.getpid()))
    with pytest.warns(RuntimeWarning, match="stale lock file"):
        with exclusive_lock(out):
            with pytest.raises(LockedError):  # while we hold it, a second lock is still refused
                with exclusive_lock(out):
                    pass
    assert not Path(f"{out}.lock").exists()
