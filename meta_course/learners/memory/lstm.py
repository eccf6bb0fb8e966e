"""The baselines of the memory family: the same tasks read by a plain LSTM, with no external memory.

An LSTM can only keep what it has seen in its hidden and cell state, a fixed number of units shared by
everything it must remember. On label-offset episodes (:class:`LSTMLabels`) it must hold five
image-label bindings at once; on the copy task (:class:`LSTMBits`) the whole sequence. Santoro et al.
(2016, Table 1) and Graves et al. (2014, Section 4.1) use it as the baseline, as do the lessons.

References:
    Hochreiter & Schmidhuber (1997), "Long Short-Term Memory". Santoro et al. (2016), Section 4.1;
    Graves, Wayne & Danihelka (2014), Section 4 ("LSTM network" baseline).
"""

from __future__ import annotations

import torch

from ...models.memory import SequenceLSTM
from .sequence import BitSequenceLearner, LabelSequenceLearner


class LSTMLabels(LabelSequenceLearner):
    """LSTM on label-offset episodes (MANN's baseline, same input: flat pixels + previous label).

    Example:
        >>> from meta_course.tasks.sequences import LabelledSequences
        >>> lstm = LSTMLabels(image_size=4, hidden_size=8)
        >>> b = LabelledSequences(torch.rand(2, 6, 1, 4, 4), torch.tensor([[0, 1, 0, 2, 1, 0]] * 2), torch.ones(2, 6))
        >>> lstm.logits(b).shape
        torch.Size([2, 6, 5])
    """

    name = "lstm-labels"

    def __init__(self, n_classes: int = 5, image_size: int = 20, hidden_size: int = 200, num_layers: int = 1,
                 encoder: str | None = None, finetune_encoder: bool = False, init_from: str | None = None,
                 centre_features: bool = False):
        super().__init__(n_classes, image_size, encoder, finetune_encoder)
        self.centre_features = bool(centre_features)   # as the MANN's (LabelSequenceLearner.centre_features)
        self.config = dict(n_classes=n_classes, image_size=image_size, hidden_size=hidden_size, num_layers=num_layers,
                           encoder=encoder)
        if finetune_encoder:  # only non-default settings enter the config: older checkpoints keep theirs
            self.config["finetune_encoder"] = True
        if centre_features:
            self.config["centre_features"] = True
        self.net = SequenceLSTM(self.input_size, hidden_size, n_classes, num_layers)
        if init_from is not None:  # a second training stage from a committed LSTM of the same network
            self.start_from(init_from, ("init_from", "finetune_encoder"), "an LSTM", "lstm_omniglot")


class LSTMBits(BitSequenceLearner):
    """LSTM on bit-sequence tasks (the NTM and DNC's baseline).

    Example:
        >>> from meta_course.tasks.sequences import CopyTask
        >>> LSTMBits(width=4, hidden_size=8).score(CopyTask(width=4).sample(torch.Generator().manual_seed(0), 3)).shape
        torch.Size([3])
    """

    name = "lstm-bits"

    def __init__(self, task: str = "copy", width: int = 8, hidden_size: int = 256, num_layers: int = 1):
        super().__init__(task, width)
        self.config = dict(task=task, width=width, hidden_size=hidden_size, num_layers=num_layers)
        self.net = SequenceLSTM(self.in_size, hidden_size, width, num_layers)


__all__ = ["LSTMBits", "LSTMLabels"]
