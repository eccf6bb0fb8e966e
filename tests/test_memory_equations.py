"""The memory-augmented family's equations against hand-computed cases and independent references.

MANN (Santoro et al. 2016, Eqs. 2–8), NTM (Graves et al. 2014, Eqs. 2–9), DNC (Graves et al. 2016,
Methods): each function is checked on tiny tensors whose answer is worked out by hand or by a
plain-Python loop written from the paper's formula, and differentiated in float64 against finite
differences (``gradcheck``).
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math

import pytest
import torch

from meta_course.learners.memory import dnc, mann, ntm
from meta_course.models.memory import (Controller, content_weights, cosine_similarity, erase_and_add, oneplus, read,
                                       SequenceLSTM)

MODULES = ["meta_course.models.memory", "meta_course.learners.memory.mann", "meta_course.learners.memory.ntm",
           "meta_course.learners.memory.sequence",
           "meta_course.learners.memory.lstm",
           "meta_course.learners.memory.dnc", "meta_course.tasks.sequences"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- shared primitives
def test_cosine_and_content_weights_match_a_loop():
    g = torch.Generator().manual_seed(0)
    keys, memory = torch.randn(2, 3, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    beta = torch.rand(2, 3, generator=g) * 5
    w = content_weights(keys, memory, beta)
    for b, h in itertools.product(range(2), range(3)):
        sims = [float(keys[b, h] @ memory[b, i] / (keys[b, h].norm() * memory[b, i].norm())) for i in range(5)]
        expo = [math.exp(float(beta[b, h]) * s) for s in sims]
        for i in range(5):
            assert w[b, h, i].item() == pytest.approx(expo[i] / sum(expo), rel=1e-5)
    assert torch.allclose(w.sum(-1), torch.ones(2, 3))


def test_key_strength_sharpens_content_weights():
    g = torch.Generator().manual_seed(1)
    keys, memory = torch.randn(1, 1, 4, generator=g), torch.randn(1, 6, 4, generator=g)
    peaks = [content_weights(keys, memory, torch.tensor([[b]])).max().item() for b in (0.0, 1.0, 5.0, 50.0, 500.0)]
    assert peaks[0] == pytest.approx(1 / 6)                       # β = 0: uniform
    assert all(a < b for a, b in zip(peaks, peaks[1:])) and peaks[-1] > 0.99


def test_zero_memory_rows_have_zero_similarity_and_finite_gradients():
    memory = torch.zeros(1, 3, 4, requires_grad=True)
    keys = torch.randn(1, 2, 4, requires_grad=True)
    sim = cosine_similarity(keys, memory)
    assert torch.equal(sim, torch.zeros(1, 2, 3))
    sim.sum().backward()
    assert torch.isfinite(memory.grad).all() and torch.isfinite(keys.grad).all()


def test_read_and_erase_add_by_hand():
    memory = torch.tensor([[[1., 2.], [3., 4.], [5., 6.]]])
    assert torch.allclose(read(memory, torch.tensor([[[0.5, 0.5, 0.0]]])), torch.tensor([[[2., 3.]]]))
    # full erase + add on slot 1 replaces it; half weight on slot 2 erases half and adds half
    out = erase_and_add(memory, torch.tensor([[0., 1., 0.5]]), torch.tensor([[1., 1.]]), torch.tensor([[10., 20.]]))
    assert torch.allclose(out, torch.tensor([[[1., 2.], [10., 20.], [7.5, 13.]]]))
    # zero erase is pure addition (MANN's Eq. 8 is this special case)
    out = erase_and_add(memory, torch.tensor([[1., 0., 0.]]), torch.zeros(1, 2), torch.tensor([[1., 1.]]))
    assert torch.allclose(out[0, 0], torch.tensor([2., 3.])) and torch.equal(out[0, 1:], memory[0, 1:])


def test_oneplus_range():
    x = torch.linspace(-30, 30, 101)
    y = oneplus(x)
    assert (y >= 1).all() and y[50].item() == pytest.approx(1 + math.log(2))


def test_controller_is_an_lstm_cell():
    """The split projection (input once per sequence, recurrence per step) is nn.LSTMCell's update."""
    torch.manual_seed(0)
    c = Controller(3, 2, 4)
    cell = torch.nn.LSTMCell(5, 4)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([c.input.weight, c.recurrent.weight[:, :2]], dim=1))
        cell.weight_hh.copy_(c.recurrent.weight[:, 2:])
        cell.bias_ih.copy_(c.input.bias)
        cell.bias_hh.zero_()
    x, r = torch.randn(6, 3), torch.randn(6, 2)
    state = (torch.randn(6, 4), torch.randn(6, 4))
    h, (h2, c2) = c(c.project(x), r, state)
    h_ref, c_ref = cell(torch.cat([x, r], -1), state)
    assert torch.allclose(h, h_ref, atol=1e-6) and torch.allclose(c2, c_ref, atol=1e-6)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="hidden_size=0"):
        Controller(3, 2, 0)
    with pytest.raises(ValueError, match="num_layers=0"):
        SequenceLSTM(3, 4, 2, num_layers=0)


# --------------------------------------------------------------------------- MANN (LRU access)
def eq6_reference(usage: list[float], n: int) -> list[float]:
    """Eq. 6 as written: 1 where w^u(i) ≤ m(w^u, n), the n-th smallest usage; 0 elsewhere."""
    m = sorted(usage)[n - 1]
    return [1.0 if u <= m else 0.0 for u in usage]


def test_least_used_weights_sum_to_eq6():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        usage = torch.rand(1, 9, generator=g)
        for n in (1, 2, 4):
            w = mann.least_used_weights(usage, n)
            assert w.shape == (1, n, 9) and torch.equal(w.sum(-1), torch.ones(1, n))
            assert w.sum(1)[0].tolist() == eq6_reference(usage[0].tolist(), n)
            # head i gets the i-th least-used slot
            assert w[0].argmax(-1).tolist() == usage[0].argsort()[:n].tolist()


def test_least_used_ties_go_to_lower_slots():
    assert mann.least_used(torch.zeros(1, 6), 3).tolist() == [[0, 1, 2]]
    with pytest.raises(ValueError, match="n=7"):
        mann.least_used(torch.zeros(1, 6), 7)


def test_lru_write_weights_and_usage_by_hand():
    # σ(α) = 0.8: 80% back to where the head read last step, 20% to its least-used slot
    alpha = torch.tensor([[math.log(4.0)]])
    w_read_prev = torch.tensor([[[0.1, 0.6, 0.3, 0.0]]])
    w_lu = mann.least_used_weights(torch.tensor([[0.5, 0.9, 0.7, 0.2]]), 1)     # slot 3
    w_write = mann.lru_write_weights(alpha, w_read_prev, w_lu)
    assert torch.allclose(w_write, torch.tensor([[[0.08, 0.48, 0.24, 0.2]]]))
    usage = mann.lru_usage(torch.tensor([[0.5, 0.9, 0.7, 0.2]]), torch.tensor([[[0.25, 0.25, 0.25, 0.25]]]), w_write,
                           gamma=0.5)
    assert torch.allclose(usage, torch.tensor([[0.25 + 0.25 + 0.08, 0.45 + 0.25 + 0.48, 0.35 + 0.25 + 0.24,
                                                0.1 + 0.25 + 0.2]]))


def test_mann_step_on_a_hand_made_memory():
    """One full LRU step (clear → write → read → usage) on 4 slots, checked against a scalar loop."""
    memory = torch.tensor([[[1., 0.], [0., 1.], [1., 1.], [-1., 0.]]])
    usage_prev = torch.tensor([[2.0, 0.1, 1.0, 0.5]])                            # least used: slot 1
    w_read_prev = torch.tensor([[[0.0, 0.0, 1.0, 0.0]]])                         # read slot 2 last step
    alpha, key, add, gamma = torch.tensor([[0.0]]), torch.tensor([[[1., 0.]]]), torch.tensor([[[0., 2.]]]), 0.9

    cleared = mann.clear_least_used(memory, usage_prev)
    w_write = mann.lru_write_weights(alpha, w_read_prev, mann.least_used_weights(usage_prev, 1))
    new_memory = mann.lru_write(cleared, w_write, add)
    w_read = content_weights(key, new_memory)
    new_usage = mann.lru_usage(usage_prev, w_read, w_write, gamma)

    # by hand: slot 1 cleared then gets 0.5·(0, 2); slot 2 gets 0.5·(0, 2)
    expected_memory = [[1., 0.], [0., 1.], [1., 2.], [-1., 0.]]
    assert new_memory[0].tolist() == expected_memory
    cos = [1.0, 0.0, 1 / math.sqrt(5), -1.0]
    expo = [math.exp(c) for c in cos]
    expected_read = [e / sum(expo) for e in expo]
    assert w_read[0, 0].tolist() == pytest.approx(expected_read, rel=1e-5)
    expected_write = [0.0, 0.5, 0.5, 0.0]
    assert new_usage[0].tolist() == pytest.approx(
        [gamma * u + r + w for u, r, w in zip(usage_prev[0].tolist(), expected_read, expected_write)], rel=1e-5)


def test_mann_network_writes_a_new_class_to_fresh_slots():
    """With an empty memory and gates saturated at σ(α) = 0, each step writes to the least-used slots,
    one slot per head, never twice to the same slot in the first steps."""
    torch.manual_seed(0)
    net = mann.MANNNetwork(6, 3, memory_slots=16, memory_width=4, read_heads=2, hidden_size=8)
    with torch.no_grad():
        net.heads.bias.view(2, 9)[:, -1] = -50.0                                # α → −∞ for both heads
        net.heads.weight.view(2, 9, 8)[:, -1] = 0.0
    _, trace = net(torch.randn(1, 4, 6), trace=True)
    written = trace["w_write"][0].argmax(-1)                                     # [steps, heads]
    assert trace["w_write"][0].max(-1).values.min() > 0.999
    assert len(set(written.flatten().tolist())) == 8                             # 4 steps × 2 heads, all distinct
    assert torch.allclose(trace["w_read"].sum(-1), torch.ones(1, 4, 2))


def test_mann_rejects_too_many_heads():
    with pytest.raises(ValueError, match="read_heads=8"):
        mann.MANNNetwork(4, 2, memory_slots=8, read_heads=8)


# --------------------------------------------------------------------------- NTM addressing
def test_interpolation_by_hand():
    w = ntm.interpolate(torch.tensor([[[0.5, 0.5, 0.0]]]), torch.tensor([[[0.0, 0.0, 1.0]]]), torch.tensor([[0.2]]))
    assert torch.allclose(w, torch.tensor([[[0.1, 0.1, 0.8]]]))


def test_shift_is_a_circular_convolution():
    """Eq. 8 against a double loop and against the FFT (a circular convolution is a product of DFTs)."""
    g = torch.Generator().manual_seed(0)
    N, R = 7, 2
    w = torch.softmax(torch.randn(1, 1, N, generator=g, dtype=torch.float64), -1)
    s = torch.softmax(torch.randn(1, 1, 2 * R + 1, generator=g, dtype=torch.float64), -1)
    out = ntm.circular_shift(w, s)[0, 0]
    loop = []
    for i in range(N):
        total = 0.0
        for j in range(N):
            offset = (i - j) % N
            offset = offset - N if offset > N // 2 else offset
            if -R <= offset <= R:
                total += w[0, 0, j].item() * s[0, 0, offset + R].item()
        loop.append(total)
    assert out.tolist() == pytest.approx(loop, abs=1e-12)
    kernel = torch.zeros(N, dtype=torch.float64)
    for k in range(-R, R + 1):
        kernel[k % N] = s[0, 0, k + R]
    fft = torch.fft.ifft(torch.fft.fft(w[0, 0]) * torch.fft.fft(kernel)).real
    assert torch.allclose(out, fft, atol=1e-12)
    assert out.sum().item() == pytest.approx(1.0)


def test_shift_by_one_moves_and_wraps():
    w = torch.tensor([[[0.0, 0.0, 0.0, 1.0]]])
    assert ntm.circular_shift(w, torch.tensor([[[0., 0., 1.]]])).tolist() == [[[1.0, 0.0, 0.0, 0.0]]]
    assert ntm.circular_shift(w, torch.tensor([[[1., 0., 0.]]])).tolist() == [[[0.0, 0.0, 1.0, 0.0]]]
    with pytest.raises(ValueError, match="shift has 4 entries"):
        ntm.circular_shift(w, torch.ones(1, 1, 4) / 4)


def test_sharpening():
    w = torch.tensor([[[0.1, 0.2, 0.3, 0.4]]])
    assert torch.allclose(ntm.sharpen(w, torch.tensor([[1.0]])), w)
    sharp = ntm.sharpen(w, torch.tensor([[3.0]]))
    expected = torch.tensor([0.1, 0.2, 0.3, 0.4]) ** 3
    assert torch.allclose(sharp[0, 0], expected / expected.sum())
    assert sharp.max() > w.max() and sharp.sum().item() == pytest.approx(1.0)


def test_addressing_chain_limits():
    g = torch.Generator().manual_seed(3)
    memory, key = torch.randn(1, 5, 3, generator=g), torch.randn(1, 1, 3, generator=g)
    w_prev = torch.tensor([[[0., 1., 0., 0., 0.]]])
    beta, one = torch.tensor([[2.0]]), torch.ones(1, 1)
    no_shift = torch.tensor([[[0., 1., 0.]]])
    # g = 1, no shift, γ = 1: pure content addressing
    w = ntm.ntm_addressing(memory, w_prev, key, beta, one, no_shift, one)
    assert torch.allclose(w, content_weights(key, memory, beta), atol=1e-6)
    # g = 0, shift −1: back one slot from the previous focus, whatever the content
    w = ntm.ntm_addressing(memory, w_prev, key, beta, torch.zeros(1, 1), torch.tensor([[[1., 0., 0.]]]), one)
    assert torch.allclose(w, torch.tensor([[[1., 0., 0., 0., 0.]]]), atol=1e-6)
    # a blurred shift is re-sharpened by γ
    blurred = ntm.ntm_addressing(memory, w_prev, key, beta, torch.zeros(1, 1), torch.tensor([[[0.1, 0.8, 0.1]]]), one)
    sharp = ntm.ntm_addressing(memory, w_prev, key, beta, torch.zeros(1, 1), torch.tensor([[[0.1, 0.8, 0.1]]]),
                               torch.tensor([[10.0]]))
    assert blurred.max() == pytest.approx(0.8) and sharp.max() > 0.999


def test_ntm_network_can_walk_memory_by_location():
    """Forcing g = 0 and a +1 shift on the write head writes slot 1, 2, 3, ... one per step; the read head reads
    the memory as it was before the step's write."""
    torch.manual_seed(0)
    net = ntm.NTMNetwork(3, 2, memory_slots=8, memory_width=4, hidden_size=6)
    na = net.n_address
    with torch.no_grad():
        b, W = net.heads.bias, net.heads.weight
        W[na:2 * na] = 0.0
        b[na + 4 + 1] = -50.0                                    # gate g → 0 (write head)
        b[na + 4 + 3:2 * na] = torch.tensor([-50., -50., 50.])   # shift distribution → offset +1
        net.initial_logits[1] = -50.0
        net.initial_logits[1, 0] = 50.0                          # the write head starts on slot 0
    _, trace = net(torch.randn(1, 5, 3), trace=True)
    assert trace["w_write"][0].argmax(-1).tolist() == [1, 2, 3, 4, 5]
    x = torch.randn(1, 5, 3)
    logits, state, _ = net.run(x[:, :3])
    w_read = torch.softmax(net.initial_logits[0], -1)[None, None]
    assert torch.allclose(net.initial_state(1).w_read, w_read)


# --------------------------------------------------------------------------- DNC allocation and links
def allocation_reference(usage: list[float]) -> list[float]:
    """The paper's allocation as a loop over the slots in order of ascending usage."""
    order = sorted(range(len(usage)), key=lambda i: (usage[i], i))
    out, prod = [0.0] * len(usage), 1.0
    for j in order:
        out[j] = (1 - usage[j]) * prod
        prod *= usage[j]
    return out


def test_allocation_matches_the_loop_and_telescopes():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        u = torch.rand(1, 8, generator=g, dtype=torch.float64)
        a = dnc.allocation(u, eps=0.0)
        assert a[0].tolist() == pytest.approx(allocation_reference(u[0].tolist()), abs=1e-12)
        # Σ_j a_j = 1 − Π_j u_j (the sum telescopes)
        assert a.sum().item() == pytest.approx(1 - u.prod().item(), abs=1e-12)


def test_allocation_gives_the_least_used_free_slot():
    u = torch.tensor([[1.0, 1.0, 0.0, 1.0, 0.0]])
    assert dnc.allocation(u, eps=0.0).tolist() == [[0.0, 0.0, 1.0, 0.0, 0.0]]
    # with the authors' ε the result is the same to 1e-5
    assert torch.allclose(dnc.allocation(u), torch.tensor([[0., 0., 1., 0., 0.]]), atol=1e-5)
    # a full memory allocates (almost) nothing
    assert dnc.allocation(torch.ones(1, 4)).sum().item() < 1e-5


def test_free_gates_release_read_slots():
    psi = dnc.retention(torch.tensor([[1.0, 0.0]]), torch.tensor([[[0., 1., 0.], [1., 0., 0.]]]))
    assert psi.tolist() == [[1.0, 0.0, 1.0]]        # head 0 frees slot 1; head 1's gate is shut
    u = dnc.dnc_usage(torch.tensor([[1.0, 1.0, 0.3]]), torch.zeros(1, 3), psi)
    assert u[0].tolist() == pytest.approx([1.0, 0.0, 0.3])
    assert dnc.allocation(u, eps=0.0).argmax().item() == 1


def test_usage_write_then_allocate_fills_memory_in_order():
    """Successive allocation-only writes on an empty memory take slots 0, 1, 2, ... in turn."""
    N = 5
    usage, w_write = torch.zeros(1, N), torch.zeros(1, N)
    taken = []
    for _ in range(N):
        usage = dnc.dnc_usage(usage, w_write, torch.ones(1, N))
        w_write = dnc.dnc_write_weights(dnc.allocation(usage, eps=0.0), torch.full((1, N), 1 / N), torch.ones(1), torch.ones(1))
        taken.append(w_write.argmax().item())
        assert w_write.max().item() > 0.9999
    assert taken == list(range(N))


def test_link_matrix_recovers_write_order():
    order = [3, 0, 4, 1]
    N = 5
    link, p = torch.zeros(1, N, N), torch.zeros(1, N)
    for slot in order:
        w = torch.zeros(1, N)
        w[0, slot] = 1.0
        link = dnc.link_update(link, p, w)
        p = dnc.precedence(p, w)
    expected = torch.zeros(N, N)
    for prev, nxt in zip(order, order[1:]):
        expected[nxt, prev] = 1.0                          # L[i, j] = 1: i written right after j
    assert torch.equal(link[0], expected)
    assert p[0].argmax().item() == order[-1] and p.sum().item() == pytest.approx(1.0)
    # following the forward weighting from the first write replays the order; backward reverses it
    w_read = torch.zeros(1, 1, N)
    w_read[0, 0, order[0]] = 1.0
    visited = [order[0]]
    for _ in range(len(order) - 1):
        w_read, _ = dnc.directional_weights(link, w_read)
        visited.append(w_read.argmax().item())
    assert visited == order
    back = dnc.directional_weights(link, w_read)[1]
    assert back.argmax().item() == order[-2]


def test_soft_writes_keep_link_and_precedence_bounded():
    g = torch.Generator().manual_seed(0)
    N = 6
    link, p = torch.zeros(2, N, N), torch.zeros(2, N)
    for _ in range(30):
        w = torch.softmax(torch.randn(2, N, generator=g) * 3, -1) * torch.rand(2, 1, generator=g)
        link = dnc.link_update(link, p, w)
        p = dnc.precedence(p, w)
        assert (link >= -1e-6).all() and (link.sum(-1) <= 1 + 1e-5).all() and (link.sum(-2) <= 1 + 1e-5).all()
        assert (p.sum(-1) <= 1 + 1e-6).all()
        assert torch.equal(torch.diagonal(link, dim1=-2, dim2=-1), torch.zeros(2, N))


def test_read_modes_mix_the_three_weightings():
    b, c, f = torch.tensor([[[1., 0., 0.]]]), torch.tensor([[[0., 1., 0.]]]), torch.tensor([[[0., 0., 1.]]])
    w = dnc.dnc_read_weights(torch.tensor([[[0.2, 0.3, 0.5]]]), b, c, f)
    assert torch.allclose(w, torch.tensor([[[0.2, 0.3, 0.5]]]))


def test_dnc_network_weightings_are_distributions():
    torch.manual_seed(0)
    net = dnc.DNCNetwork(5, 3, memory_slots=7, memory_width=4, read_heads=2, hidden_size=10)
    _, trace = net(torch.randn(3, 9, 5), trace=True)
    assert (trace["w_write"].sum(-1) <= 1 + 1e-5).all() and (trace["w_read"].sum(-1) <= 1 + 1e-5).all()
    assert (trace["usage"] >= 0).all() and (trace["usage"] <= 1 + 1e-6).all()


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("fn", ["content", "shift", "sharpen", "allocation", "link", "lru"])
def test_equations_gradcheck(fn):
    g = torch.Generator().manual_seed(0)
    d = dict(dtype=torch.float64, requires_grad=True)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()

    if fn == "content":
        args, f = (r(2, 2, 3), r(2, 4, 3), torch.rand(2, 2, dtype=torch.float64).add(0.5).requires_grad_()), content_weights
    elif fn == "shift":
        args = (torch.softmax(r(1, 2, 5), -1).detach().requires_grad_(), torch.softmax(r(1, 2, 3), -1).detach().requires_grad_())
        f = ntm.circular_shift
    elif fn == "sharpen":
        args = (torch.softmax(r(1, 2, 5), -1).detach().requires_grad_(), torch.tensor([[1.5, 3.0]], **d))
        f = ntm.sharpen
    elif fn == "allocation":
        args, f = (torch.tensor([[0.9, 0.1, 0.5, 0.3]], **d),), dnc.allocation
    elif fn == "link":
        args = (torch.rand(1, 4, 4, dtype=torch.float64).mul(0.2).requires_grad_(),
                torch.tensor([[0.1, 0.5, 0.2, 0.1]], **d), torch.tensor([[0.3, 0.1, 0.05, 0.4]], **d))
        f = dnc.link_update
    else:
        args = (r(1, 2), torch.softmax(r(1, 2, 4), -1).detach().requires_grad_(),
                torch.tensor([[[0., 1., 0., 0.], [0., 0., 1., 0.]]], **d))
        f = mann.lru_write_weights
    assert torch.autograd.gradcheck(f, args)


def test_sharpening_a_near_uniform_weighting_over_many_slots_stays_finite():
    """Eq. 9 with γ = 21 on 128 nearly equal weights: w^γ underflows float32 ((1/128)^21 < 1e-44), yet the
    sharpened weighting (computed as softmax(γ log w)) is finite, sums to 1 and its gradient is finite."""
    w = torch.softmax(0.01 * torch.randn(1, 1, 128, generator=torch.Generator().manual_seed(0)), -1).requires_grad_()
    gamma = torch.tensor([[21.0]], requires_grad=True)
    assert float(w.detach().pow(21).sum()) < 1e-40                   # the naive formula's denominator
    sharp = ntm.sharpen(w, gamma)
    assert torch.isfinite(sharp).all() and float(sharp.detach().sum()) == pytest.approx(1.0)
    expected = w.detach().double().pow(21)
    assert torch.allclose(sharp.detach().double(), expected / expected.sum(), atol=1e-6)
    (sharp * torch.arange(128.0)).sum().backward()
    assert torch.isfinite(w.grad).all() and torch.isfinite(gamma.grad).all()


def test_feedforward_controller_has_no_state():
    from meta_course.models.memory import FeedforwardController

    torch.manual_seed(0)
    c = FeedforwardController(3, 2, 4)
    x, r = torch.randn(5, 3), torch.randn(5, 2)
    h, state = c(c.project(x), r, c.initial_state(5))
    assert state == () and torch.allclose(h, torch.tanh(x @ c.input.weight.T + c.input.bias + r @ c.recurrent.weight.T))
    # the same input and read give the same output whatever came before: nothing is carried but the reads
    h2, _ = c(c.project(x), r, state)
    assert torch.equal(h, h2)
    with pytest.raises(ValueError, match="hidden_size"):
        FeedforwardController(3, 2, 0)
    with pytest.raises(ValueError, match="unknown controller 'gru'"):
        ntm.NTMNetwork(3, 2, memory_slots=8, controller="gru")
