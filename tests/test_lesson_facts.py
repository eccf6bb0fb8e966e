"""Facts a lesson states in its text agree with the recipes they describe.

Each fact is a pattern in a lesson's markdown and the recipe value it must show. Every occurrence must
agree, and the pattern must occur at least once — so rewording a sentence breaks the test until the fact
is updated here, rather than letting a stale number slip through.
"""

import json
import re
from pathlib import Path

import pytest

from meta_course.recipes import get_recipe

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def R(name):
    return get_recipe(name)


def _num(text: str) -> float:
    return float(text.replace(" ", "").replace("\u202f", "").replace(",", ""))


#: (lesson, pattern with one group, expected value from the recipe, how to compare)
FACTS = [
    ("01_maml_sine", r"meta-batch (\d+)", lambda: R("maml_sine").meta_batch_size),
    ("01_maml_sine", r"\$K=(\d+)\$, one inner step", lambda: R("maml_sine").task_args["k_shot"]),
    ("01_maml_sine", r"(\d[\d ]*\d) iterations", lambda: R("maml_sine").steps),
    ("04_pitfalls", r"`maml_sine` recipe \(K=(\d+)", lambda: R("maml_sine").task_args["k_shot"]),
    ("04_pitfalls", r"`maml_sine` recipe \(K=\d+, one inner step, meta-batch (\d+)", lambda: R("maml_sine").meta_batch_size),
    ("05_optimisation_family", r"`metasgd_sine` unrolls (\d+) steps", lambda: R("metasgd_sine").config["inner_steps"]),
    ("05_optimisation_family", r"step size and (\d+) unrolled", lambda: R("metasgd_sine").config["inner_steps"]),
    ("05_optimisation_family", r"unrolls \d+ steps in training \(second order\), at \$K=(\d+)\$",
     lambda: R("metasgd_sine").task_args["k_shot"]),
    ("07_maml_omniglot", r"Conv-4 with (\d+) channels", lambda: R("maml_omniglot").config["model"]["hidden"]),
    ("07_maml_omniglot", r"We use (\d+) channels per block", lambda: R("maml_omniglot").config["model"]["hidden"]),
    ("07_maml_omniglot", r"with (\d+) channels, α = ", lambda: R("maml_omniglot").config["model"]["hidden"]),
    ("07_maml_omniglot", r"channels, α = ([\d.]+)", lambda: R("maml_omniglot").config["inner_lr"]),
    ("07_maml_omniglot", r"The network is Conv-4 \(lesson (\d+)\)", lambda: 6),  # where Conv-4 is introduced
    ("10_neural_processes", r"(\d[\d ]*\d) steps of 64 tasks", lambda: R("cnp_sine").steps),
    ("10_neural_processes", r"\d[\d ]*\d steps of (\d+) tasks, ≈ 7 min", lambda: R("cnp_sine").meta_batch_size),
    ("10_neural_processes", r"(\d[\d ]*\d) steps of 32 tasks", lambda: R("cnp_gp").steps),
    ("10_neural_processes", r"\d[\d ]*\d steps of (\d+) tasks, ≈ 17 min", lambda: R("cnp_gp").meta_batch_size),
    ("10_neural_processes", r"with (\d+) random Fourier features", lambda: R("cnp_gp").config["x_features"]),
    ("10_neural_processes", r"three hidden layers of (\d+) units", lambda: R("cnp_sine").config["hidden"]),
    ("17_learned_optimisers", r"after (\d[\d ]*\d) meta-steps", lambda: R("metalstm_sine").steps),
    ("17_learned_optimisers", r"meta-trained for (\d+) updates", lambda: R("metalstm_sine").config["inner_steps"]),
    ("17_learned_optimisers", r"meta-trained for \d+ updates on \$K = (\d+)\$", lambda: R("metalstm_sine").task_args["k_shot"]),
    ("17_learned_optimisers", r"meta-trained on (\d+)-step trajectories", lambda: R("l2lopt_quadratic").config["inner_steps"]),
    ("17_learned_optimisers", r"\((\d+) meta-steps instead of the paper's", lambda: R("l2lopt_quadratic").steps),
    ("17_learned_optimisers", r"1-20-20-1 network, \$K = (\d+)\$", lambda: R("l2lopt_sine").task_args["k_shot"]),
    ("17_learned_optimisers", r"1-20-20-1 network, \$K = \d+\$, (\d+) steps", lambda: R("l2lopt_sine").config["inner_steps"]),
    ("16_applications_cold_start", r"20 steps of \$\\theta \\leftarrow \\theta - \\alpha\\nabla\\mathcal\{L\}_\{S_u\}\$, \$\\alpha = ([\d.]+)\$",
     lambda: R("pretrained_recommendation").config["inner_lr"]),
    ("16_applications_cold_start", r"5 steps, \$\\alpha = ([\d.]+)\$", lambda: R("maml_recommendation").config["inner_lr"]),
    ("12_maml_rl_and_pearl", r"MAML-RL (\d+) outer steps", lambda: R("maml_rl_nav").steps),
    ("12_maml_rl_and_pearl", r"\$\\alpha=([\d.]+)\$, \$K=20\$", lambda: R("maml_rl_nav").config["inner_lr"]),
    ("12_maml_rl_and_pearl", r"\$\\alpha=[\d.]+\$, \$K=(\d+)\$", lambda: R("maml_rl_nav").config["n_traj"]),
    ("12_maml_rl_and_pearl", r"(\d+) tasks per outer step", lambda: R("maml_rl_nav").meta_batch_size),
    ("12_maml_rl_and_pearl", r"PEARL (\d[\d ]*\d) meta-steps", lambda: R("pearl_nav").steps),
    ("12_maml_rl_and_pearl", r"meta-steps of (\d+) tasks", lambda: R("pearl_nav").meta_batch_size),
]


def markdown(lesson: str) -> str:
    nb = json.loads((NOTEBOOKS / f"{lesson}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("lesson, pattern, expected", FACTS, ids=[f"{f[0]}:{f[1][:30]}" for f in FACTS])
def test_lesson_states_the_recipe_value(lesson, pattern, expected):
    found = re.findall(pattern, markdown(lesson).replace("\n", " "))
    assert found, f"{lesson}: the sentence matching {pattern!r} is gone — update this fact"
    want = float(expected())
    for text in found:
        assert _num(text) == pytest.approx(want), f"{lesson} says {text}, the recipe says {want:g}"


def test_no_lesson_prints_raw_recipe_objects():
    """A lesson shows settings as sentences or tables, not as raw ``Recipe(...)`` reprs."""
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                assert "Recipe(learner=" not in text, f"{path.name} prints a raw Recipe"
