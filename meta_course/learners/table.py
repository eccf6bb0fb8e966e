"""The learner table: every learner class by name. The ONE place a learner is registered.

The name is what checkpoints store (``{"name", "config", "state_dict"}``) and what a
:class:`~meta_course.recipes.Recipe` names; each class carries it as ``name``. To add a learner:
write its file in the family folder and add one line here.
"""

from __future__ import annotations

from ..core.checks import check_choice
from .base import Learner
from .generative.figr import FIGR
from .generative.gan import MinimaxGAN
from .generative.metagan import MetaGAN
from .generative.wgan_gp import WGANGP
from .memory.anp import AttentiveCNP
from .memory.cnp import CNP
from .memory.dnc import DNC
from .memory.lstm import LSTMBits, LSTMLabels
from .memory.mann import MANN
from .memory.ntm import NTM
from .metric.ensemble import Ensemble
from .metric.matching import MatchingNet
from .metric.protonet import ProtoNet
from .metric.siamese import SiameseNet
from .optimisation.l2l_optimizer import L2LOptimizer
from .optimisation.maml import FOMAML, MAML
from .optimisation.meta_lstm import MetaLSTM
from .optimisation.meta_sgd import MetaSGD
from .optimisation.pretrained import Pretrained
from .optimisation.reptile import Reptile
from .optimisation.transfer import Transfer
from .rl.maml_rl import MAMLRL, PretrainedRL
from .rl.pearl import PEARL
from .rl.rl2 import RL2

LEARNERS: dict[str, type[Learner]] = {
    # optimisation-based
    "maml": MAML,
    "fomaml": FOMAML,
    "meta-sgd": MetaSGD,
    "reptile": Reptile,
    "meta-lstm": MetaLSTM,
    "l2l-optimizer": L2LOptimizer,
    "pretrained": Pretrained,
    "transfer": Transfer,
    # metric-based
    "protonet": ProtoNet,
    "matching": MatchingNet,
    "siamese": SiameseNet,
    "ensemble": Ensemble,
    # memory-based
    "mann": MANN,
    "lstm-labels": LSTMLabels,
    "ntm": NTM,
    "dnc": DNC,
    "lstm-bits": LSTMBits,
    "cnp": CNP,
    "anp": AttentiveCNP,
    # reinforcement-learning based
    "rl2": RL2,
    "maml-rl": MAMLRL,
    "pretrained-rl": PretrainedRL,
    "pearl": PEARL,
    # generative (GANs)
    "gan": MinimaxGAN,
    "wgan-gp": WGANGP,
    "figr": FIGR,
    "metagan": MetaGAN,
}


def get_learner_class(name: str) -> type[Learner]:
    """The class registered as ``name`` (a clear error lists the others)."""
    check_choice("learner", name, sorted(LEARNERS), "Learners are listed in meta_course/learners/table.py.")
    return LEARNERS[name]
