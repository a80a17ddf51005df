"""Independent float64 reference for the three ENAS controllers (PTB cell, CIFAR macro, CIFAR micro).

Written from docs/enas-reference.md only: section 6 (controllers: LSTM, logit shaping, attention, skip
bits, entropies, EMA baseline, REINFORCE loss, Adam beta1=0 eps=1e-3), section 0 (project decisions: the
PTB controller samples all 4 activations; the macro skip KL uses the true sampling probability sigma(2a)),
section 2 (script hyper-parameters: 2.1 PTB, 2.3 macro, 2.5 micro, 2.6 the published micro arc, 2.2 the
published PTB arc) and sections 3.6 / 4.5 / 5.4 (token formats).

For each space it draws fixed float32 weights, scores 3 token sequences with teacher forcing (per-decision
raw values, final logits, log-probabilities and entropies), runs one REINFORCE step with the EMA baseline
over the 3 samples (gradients averaged, torch.autograd in float64) and one hand-written TF-style Adam
update. Everything is written to a C++17 header of constexpr arrays.

Run: /usr/bin/python3 tests/baselines/controller_baseline.py [output.hpp]
Deterministic: fixed seeds only; two runs give byte-identical output.
"""
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float64)
N_LSTM = 8                                   # lstm_size n (small, for the test)
TASK_REWARD = [0.71, 0.64, 0.83]
BASELINE_START = 0.5
BETA1, BETA2, ADAM_EPS = 0.0, 0.999, 1e-3    # section 6 "Common pieces" (TF Adam form)

# Per-space options. ptb: section 2.1; macro: section 2.3 (no op_tanh_reduce); micro: section 2.5.
SPACES = {
    'ptb': dict(num_ops=4, num_tokens=23, tanh_constant=2.5, temperature=5.0, entropy_weight=1e-3,
                bl_dec=0.99, lr=1e-3, skip_weight=0.0, entropy_kind='sampled', seed=11, sample_seed=111),
    'macro': dict(num_ops=6, num_tokens=78, tanh_constant=1.5, temperature=0.0, entropy_weight=1e-4,
                  bl_dec=0.99, lr=1e-3, skip_weight=0.8, entropy_kind='sampled', seed=12, sample_seed=112),
    'micro': dict(num_ops=5, num_tokens=40, tanh_constant=1.10, temperature=0.0, entropy_weight=1e-4,
                  bl_dec=0.99, lr=0.0035, skip_weight=0.0, entropy_kind='full', seed=13, sample_seed=113),
}
PTB_NODES = 12                  # section 2.1 child_rhn_depth; 2N-1 = 23 tokens (section 3.6)
MACRO_LAYERS = 12               # section 2.3; L + L(L-1)/2 = 78 tokens (section 4.5)
MACRO_SKIP_TARGET = 0.4         # section 2.3
MICRO_CELLS = 5                 # computed nodes 2..6 per cell (section 2.5); 2 * 4 * 5 = 40 tokens (5.4)
MICRO_OP_TANH_REDUCE = 2.5      # section 2.5
MICRO_B_SOFT_NO_LEARN = [0.25, 0.25, -0.25, -0.25, -0.25]   # section 6.3, normal cell only

# Sample 0 of each space. PTB: the published seed arc (section 2.2 / 3.6). Micro: section 2.6.
PTB_ARC0 = [0, 0, 0, 1, 1, 2, 1, 2, 0, 2, 0, 5, 1, 1, 0, 6, 1, 8, 1, 8, 1, 8, 1]
MICRO_ARC0 = [0, 2, 0, 0, 0, 4, 0, 1, 0, 4, 1, 1, 1, 0, 0, 1, 0, 2, 1, 1,
              1, 0, 1, 0, 0, 3, 0, 2, 1, 1, 3, 1, 1, 0, 0, 4, 0, 3, 1, 1]
# Macro: hand-made. Row l = [op, b_0 .. b_{l-1}] (section 4.5); every op 0..5 appears, 23 of 66 bits set.
MACRO_ARC0_ROWS = [
    [0], [1, 1], [2, 0, 1], [3, 1, 0, 0], [4, 0, 0, 1, 1], [5, 1, 0, 0, 0, 1],
    [0, 0, 1, 0, 1, 0, 0], [2, 0, 0, 0, 0, 1, 0, 1], [1, 1, 1, 0, 0, 0, 0, 0, 1],
    [3, 0, 0, 1, 0, 0, 1, 0, 0, 0], [5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1],
    [4, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1],
]
MACRO_ARC0 = [t for row in MACRO_ARC0_ROWS for t in row]
PARAM_NAMES = ['w_lstm', 'g_emb', 'w_emb', 'w_soft', 'b_soft', 'w_attn_1', 'w_attn_2', 'v_attn']


def make_params(space):
    """Uniform [-0.6, 0.6] from a per-space generator, rounded to float32 (the header stores floats)."""
    o, n, k = SPACES[space], N_LSTM, SPACES[space]['num_ops']
    shapes = dict(w_lstm=[2 * n, 4 * n], g_emb=[1, n], w_emb=[k, n], w_soft=[n, k], b_soft=[1, k],
                  w_attn_1=[n, n], w_attn_2=[n, n], v_attn=[n, 1])
    gen = torch.Generator().manual_seed(o['seed'])
    params = {}
    for name in PARAM_NAMES:
        if name == 'b_soft' and space != 'micro':
            continue
        w = (torch.rand(shapes[name], generator=gen, dtype=torch.float64) * 1.2 - 0.6).float()
        if name == 'b_soft':   # favoured ops 0 and 1, like the [10, 10, 0, 0, 0] init of section 6.3
            w = w + torch.tensor([[2.0, 2.0, 0.0, 0.0, 0.0]], dtype=torch.float32)
        params[name] = w
    return params            # float32; the caller casts to float64


def lstm_step(x, c, h, w):
    """Section 6: bias-free LSTM, gates i, f, o, g = split([x, h] W, 4)."""
    i, f, o, g = torch.split(torch.cat([x, h], 1) @ w, N_LSTM, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return c, torch.sigmoid(o) * torch.tanh(c)


def shape(raw, temperature, tanh_constant):
    """Section 6: logits /= T when T is set, then C * tanh(logits) when C is set."""
    x = raw / temperature if temperature else raw
    return tanh_constant * torch.tanh(x) if tanh_constant else x


class Run:
    """One controller pass: tokens=None samples with gen, else decisions are read (teacher forcing)."""

    def __init__(self, num_tokens, tokens=None, gen=None):
        self.tokens = list(tokens) if tokens is not None else [None] * num_tokens
        self.forced, self.gen = tokens is not None, gen
        self.decisions, self.kl = [], []

    def _uniform(self):
        return torch.rand(1, generator=self.gen, dtype=torch.float64).item()

    def categorical(self, raw, logits, pos):
        """One categorical decision whose token lives at tokens[pos]; returns the chosen index."""
        raw, logits = raw.reshape(-1), logits.reshape(-1)
        logp = torch.log_softmax(logits, 0)
        p = torch.exp(logp)
        assert abs(p.sum().item() - 1.0) < 1e-12
        if not self.forced:
            u, cum = self._uniform(), 0.0
            choice = len(p) - 1
            for j, pj in enumerate(p.tolist()):
                cum += pj
                if u < cum:
                    choice = j
                    break
            self.tokens[pos] = choice
        t = self.tokens[pos]
        assert 0 <= t < len(p), (pos, t, len(p))
        ent_s, ent_f = -p[t] * logp[t], -(p * logp).sum()
        assert ent_f.item() >= 0 and -1e-15 <= ent_s.item() <= ent_f.item() + 1e-15
        self.decisions.append(dict(raw=raw, logits=logits, log_prob=logp[t], ent_s=ent_s, ent_f=ent_f))
        return t

    def skip_block(self, q, a, positions):
        """Macro skip bits (section 6.2): per anchor logits [-a_j, a_j], so P(bit=1) = sigma(2 a_j)."""
        q, a = q.reshape(-1), a.reshape(-1)
        pair = torch.stack([-a, a], 1)                       # [num_anchors, 2]
        logp = torch.log_softmax(pair, 1)
        p = torch.exp(logp)
        assert torch.allclose(p[:, 1], torch.sigmoid(2 * a), rtol=0, atol=1e-14)
        if not self.forced:
            for pos, p1 in zip(positions, p[:, 1].tolist()):
                self.tokens[pos] = 1 if self._uniform() < p1 else 0
        bits = [self.tokens[pos] for pos in positions]
        assert all(b in (0, 1) for b in bits)
        idx = torch.tensor(bits)
        lp = logp[torch.arange(len(bits)), idx]
        self.decisions.append(dict(raw=q, logits=a, log_prob=lp.sum(), ent_s=-(torch.exp(lp) * lp).sum(),
                                   ent_f=-(p * logp).sum()))
        # Section 0 decision: KL(Bernoulli(sigma(2a)) || Bernoulli(0.4)), summed over this layer's bits.
        p1 = p[:, 1]
        kl = p1 * torch.log(p1 / MACRO_SKIP_TARGET) + (1 - p1) * torch.log((1 - p1) / (1 - MACRO_SKIP_TARGET))
        self.kl.append(kl.sum())
        return torch.tensor([float(b) for b in bits]).reshape(1, -1)


def attention(w1_anchors, h, prm):
    """q_j = v^T tanh(a_j W1 + h W2) for every stored anchor row (section 6)."""
    return (torch.tanh(torch.cat(w1_anchors, 0) + h @ prm['w_attn_2']) @ prm['v_attn']).reshape(1, -1)


def run_ptb(prm, run):
    """Section 6.1 with 4 activations (section 0); tokens as in section 3.6."""
    o = SPACES['ptb']
    T, C = o['temperature'], o['tanh_constant']
    n = N_LSTM
    c, h, x = torch.zeros(1, n), torch.zeros(1, n), prm['g_emb']
    all_h, all_w1 = [], []
    for i in range(PTB_NODES):
        c, h = lstm_step(x, c, h, prm['w_lstm'])
        all_h.append(h)
        all_w1.append(h @ prm['w_attn_1'])
        if i > 0:
            q = attention(all_w1[:i], h, prm)
            dist = torch.tensor([[(i - j) ** 2 / 6.0 for j in range(i)]])
            j = run.categorical(q, shape(q, T, C) - dist, 2 * i - 1)     # prior subtracted after the tanh
            x = all_h[j] / (0.1 + (i - j))
        else:
            x = prm['g_emb']
        c, h = lstm_step(x, c, h, prm['w_lstm'])
        raw = h @ prm['w_soft']
        f = run.categorical(raw, shape(raw, T, C), 0 if i == 0 else 2 * i)
        x = prm['w_emb'][f:f + 1]
    return run


def run_macro(prm, run):
    """Section 6.2 (whole channels); tokens as in section 4.5; tanh 1.5 on op and skip logits."""
    o = SPACES['macro']
    T, C = o['temperature'], o['tanh_constant']
    n = N_LSTM
    c, h, x = torch.zeros(1, n), torch.zeros(1, n), prm['g_emb']
    anchors, anchors_w1 = [], []
    for l in range(MACRO_LAYERS):
        start = l + l * (l - 1) // 2
        c, h = lstm_step(x, c, h, prm['w_lstm'])
        raw = h @ prm['w_soft']
        op = run.categorical(raw, shape(raw, T, C), start)
        x = prm['w_emb'][op:op + 1]
        c, h = lstm_step(x, c, h, prm['w_lstm'])
        if l > 0:
            q = attention(anchors_w1, h, prm)
            bits = run.skip_block(q, shape(q, T, C), list(range(start + 1, start + 1 + l)))
            x = (bits @ torch.cat(anchors, 0)) / (1.0 + bits.sum())
        else:
            x = prm['g_emb']
        anchors.append(h)
        anchors_w1.append(h @ prm['w_attn_1'])
    return run


def run_micro(prm, run):
    """Section 6.3: normal cell then reduce cell; tokens [idx1, op1, idx2, op2] per node (section 5.4)."""
    o = SPACES['micro']
    C = o['tanh_constant']
    C_op = C / MICRO_OP_TANH_REDUCE
    n = N_LSTM
    c, h = torch.zeros(1, n), torch.zeros(1, n)
    for cell in range(2):                                   # 0 = normal, 1 = reduce (continues from c, h)
        x = prm['g_emb']
        anchors, anchors_w1 = [], []
        for _ in range(2):                                  # input nodes 0, 1: zero anchors, W1-keys W1 h
            c, h = lstm_step(x, c, h, prm['w_lstm'])
            anchors.append(torch.zeros(1, n))
            anchors_w1.append(h @ prm['w_attn_1'])
        for k in range(2, 2 + MICRO_CELLS):
            base = 20 * cell + 4 * (k - 2)
            for slot in range(2):                           # emission: idx1, idx2 at positions base, base+2
                c, h = lstm_step(x, c, h, prm['w_lstm'])
                q = attention(anchors_w1, h, prm)
                idx = run.categorical(q, shape(q, o['temperature'], C), base + 2 * slot)
                x = anchors[idx]
            for slot in range(2):                           # then op1, op2 at positions base+1, base+3
                c, h = lstm_step(x, c, h, prm['w_lstm'])
                raw = h @ prm['w_soft'] + prm['b_soft']
                logits = shape(raw, o['temperature'], C_op)
                if cell == 0:
                    logits = logits + torch.tensor([MICRO_B_SOFT_NO_LEARN])
                op = run.categorical(raw, logits, base + 2 * slot + 1)
                x = prm['w_emb'][op:op + 1]
            c, h = lstm_step(x, c, h, prm['w_lstm'])
            anchors.append(h)
            anchors_w1.append(h @ prm['w_attn_1'])
            x = prm['g_emb']
    return run


RUNNERS = dict(ptb=run_ptb, macro=run_macro, micro=run_micro)


def score(space, prm, tokens):
    r = RUNNERS[space](prm, Run(SPACES[space]['num_tokens'], tokens=tokens))
    d = r.decisions
    out = dict(decisions=d, log_prob=sum(x['log_prob'] for x in d),
               ent_s=sum(x['ent_s'] for x in d), ent_f=sum(x['ent_f'] for x in d),
               skip_penalty=(sum(r.kl) / (MACRO_LAYERS - 1)) if r.kl else torch.zeros(()))
    out['entropy'] = out['ent_s'] if SPACES[space]['entropy_kind'] == 'sampled' else out['ent_f']
    return out


def losses(space, prm, token_sets, adv):
    """Section 6 loss per sample: -log pi(a) * adv (+ skip_weight * KL in macro); adv held constant."""
    w = SPACES[space]['skip_weight']
    scores = [score(space, prm, t) for t in token_sets]
    return scores, [-s['log_prob'] * a + w * s['skip_penalty'] for s, a in zip(scores, adv)]


def compute_space(space):
    o = SPACES[space]
    p32 = make_params(space)
    prm = {k: v.double().requires_grad_(True) for k, v in p32.items()}
    arc0 = dict(ptb=PTB_ARC0, macro=MACRO_ARC0, micro=MICRO_ARC0)[space]
    assert len(arc0) == o['num_tokens']
    gen = torch.Generator().manual_seed(o['sample_seed'])
    token_sets = [arc0]
    with torch.no_grad():
        for _ in range(2):                                  # samples 1, 2 from this implementation
            r = RUNNERS[space](prm, Run(o['num_tokens'], gen=gen))
            lp_sampled = sum(x['log_prob'] for x in r.decisions).item()
            token_sets.append(r.tokens)
            assert abs(score(space, prm, r.tokens)['log_prob'].item() - lp_sampled) < 1e-12
    # EMA baseline and advantages (section 6 "Common pieces"); the entropy bonus is a constant.
    with torch.no_grad():
        pre = [score(space, prm, t) for t in token_sets]
    b, rewards, baselines, adv = BASELINE_START, [], [], []
    for i in range(3):
        R = TASK_REWARD[i] + o['entropy_weight'] * pre[i]['entropy'].item()
        b = b - (1 - o['bl_dec']) * (b - R)
        rewards.append(R)
        baselines.append(b)
        adv.append(R - b)
    scores, loss_list = losses(space, prm, token_sets, adv)
    total = sum(loss_list) / 3.0                            # gradients averaged over num_aggregate samples
    names = list(prm)
    grads = torch.autograd.grad(total, [prm[k] for k in names])
    grads = dict(zip(names, grads))
    grad_norm = math.sqrt(sum((g ** 2).sum().item() for g in grads.values()))

    # Self-check: central finite difference of one gradient entry (advantages fixed).
    with torch.no_grad():
        name, idx, eps = 'w_lstm', (3, 5), 1e-6
        def f(delta):
            q = {k: v.detach().clone() for k, v in prm.items()}
            q[name][idx] += delta
            return (sum(losses(space, q, token_sets, adv)[1]) / 3.0).item()
        fd = (f(eps) - f(-eps)) / (2 * eps)
        assert abs(fd - grads[name][idx].item()) < 1e-7 * max(1.0, abs(fd)), (space, fd, grads[name][idx])

    # One TF Adam step, t = 1, from zero state (section 6: beta1 = 0, eps = 1e-3).
    t = 1
    lr_t = o['lr'] * math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
    after = {}
    for k in names:
        g = grads[k]
        m = (1 - BETA1) * g
        v = (1 - BETA2) * g * g
        after[k] = prm[k].detach() - lr_t * m / (torch.sqrt(v) + ADAM_EPS)
    # Cross-check against torch.optim.Adam: at t = 1 the TF form equals eps' = eps / sqrt(1 - beta2).
    chk = {k: prm[k].detach().clone().requires_grad_(True) for k in names}
    opt = torch.optim.Adam(list(chk.values()), lr=o['lr'], betas=(BETA1, BETA2),
                           eps=ADAM_EPS / math.sqrt(1 - BETA2))
    for k in names:
        chk[k].grad = grads[k].clone()
    opt.step()
    for k in names:
        assert torch.allclose(chk[k].detach(), after[k], rtol=0, atol=1e-15)

    return dict(params=p32, tokens=token_sets, scores=scores, rewards=rewards, baselines=baselines,
                loss=[l.item() for l in loss_list], grad_norm=grad_norm, after=after)


def check_lstm_cell():
    """Self-check of lstm_step against torch.nn.LSTMCell (gate order i, f, g, o there; i, f, o, g here)."""
    n, gen = N_LSTM, torch.Generator().manual_seed(5)
    w = torch.rand(2 * n, 4 * n, generator=gen) - 0.5
    x, c, h = (torch.rand(1, n, generator=gen) for _ in range(3))
    cell = torch.nn.LSTMCell(n, n, bias=False)
    wi, wf, wo, wg = torch.split(w, n, dim=1)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([wi, wf, wg, wo], 1)[:n].t())
        cell.weight_hh.copy_(torch.cat([wi, wf, wg, wo], 1)[n:].t())
        h_ref, c_ref = cell(x, (h, c))
        c2, h2 = lstm_step(x, c, h, w)
    assert torch.allclose(c2, c_ref, atol=1e-14) and torch.allclose(h2, h_ref, atol=1e-14)


# ---------------------------------------------------------------------------------------------- output
def f32(x):
    s = format(x, '.9g')
    assert math.isfinite(x) and float(torch.tensor(float(s), dtype=torch.float32).item()) == x
    if '.' not in s and 'e' not in s:
        s += '.0'
    return s + 'f'


def f64(x):
    assert math.isfinite(x)
    return format(x, '.17g')


def wrap(items, indent):
    lines, cur = [], indent
    for it in items:
        piece = it + ','
        if len(cur) + len(piece) + 1 > 110 and cur.strip():
            lines.append(cur.rstrip())
            cur = indent
        cur += piece + ' '
    lines.append(cur.rstrip())
    return lines


def array(decl, values, fmt):
    return [decl + ' = {'] + wrap([fmt(v) for v in values], '    ') + ['};']


def array2(decl, rows, fmt):
    out = [decl + ' = {']
    for row in rows:
        body = wrap([fmt(v) for v in row], '     ')
        body[0] = '    {' + body[0][5:]
        body[-1] = body[-1].rstrip(',') + '},'
        out += body
    return out + ['};']


def emit_space(space, res):
    o, L = SPACES[space], []
    dec = res['scores'][0]['decisions']
    widths = [len(d['raw']) for d in dec]
    assert all([len(d['raw']) for d in s['decisions']] == widths for s in res['scores'])
    L += ['namespace %s {' % space, '']
    L += ['constexpr int lstm_size = %d;' % N_LSTM, 'constexpr int num_ops = %d;' % o['num_ops'],
          'constexpr int num_tokens = %d;' % o['num_tokens'], 'constexpr int num_samples = 3;']
    L += {'ptb': ['constexpr int num_nodes = %d;' % PTB_NODES],
          'macro': ['constexpr int num_layers = %d;' % MACRO_LAYERS,
                    'constexpr double skip_target = %s;' % f64(MACRO_SKIP_TARGET)],
          'micro': ['constexpr int num_cells = %d;' % MICRO_CELLS,
                    'constexpr double op_tanh_reduce = %s;' % f64(MICRO_OP_TANH_REDUCE)]}[space]
    L += ['constexpr double tanh_constant = %s;' % f64(o['tanh_constant']),
          'constexpr double temperature = %s;  // 0.0 = not set' % f64(o['temperature']),
          'constexpr double entropy_weight = %s;' % f64(o['entropy_weight']),
          'constexpr double bl_dec = %s;' % f64(o['bl_dec']), 'constexpr double lr = %s;' % f64(o['lr']),
          'constexpr double skip_weight = %s;  // 0.0 where there is no penalty' % f64(o['skip_weight']), '']
    for k, v in res['params'].items():
        L += array('constexpr float %s[]' % k, v.reshape(-1).tolist(), f32)
    L += [''] + array2('constexpr int tokens[num_samples][num_tokens]', res['tokens'], str)
    L += ['', 'constexpr int num_decisions = %d;' % len(widths)]
    L += array('constexpr int decision_width[num_decisions]', widths, str)
    L += ['constexpr int total_width = %d;' % sum(widths)]
    sc = res['scores']
    for key in ('raw', 'logits'):
        rows = [[v for d in s['decisions'] for v in d[key].tolist()] for s in sc]
        L += array2('constexpr double %s[num_samples][total_width]' % key, rows, f64)
    for key, name in (('log_prob', 'decision_log_prob'), ('ent_s', 'decision_entropy_sampled'),
                      ('ent_f', 'decision_entropy_full')):
        rows = [[d[key].item() for d in s['decisions']] for s in sc]
        L += array2('constexpr double %s[num_samples][num_decisions]' % name, rows, f64)
    for key, name in (('log_prob', 'log_prob'), ('entropy', 'entropy'), ('ent_s', 'entropy_sampled'),
                      ('ent_f', 'entropy_full'), ('skip_penalty', 'skip_penalty')):
        L += array('constexpr double %s[num_samples]' % name, [s[key].item() for s in sc], f64)
    L += [''] + array('constexpr double task_reward[num_samples]', TASK_REWARD, f64)
    L += ['constexpr double baseline_start = %s;' % f64(BASELINE_START)]
    L += array('constexpr double reward[num_samples]', res['rewards'], f64)
    L += array('constexpr double baseline_after[num_samples]', res['baselines'], f64)
    L += array('constexpr double loss[num_samples]', res['loss'], f64)
    L += ['constexpr double grad_norm = %s;' % f64(res['grad_norm']), '']
    for k, v in res['after'].items():
        L += array('constexpr double %s_after[]' % k, v.reshape(-1).tolist(), f64)
    return L + ['', '}  // namespace %s' % space, '']


def main():
    check_lstm_cell()
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'controller_baseline.hpp')
    L = ['// Generated by tests/baselines/controller_baseline.py from docs/enas-reference.md section 6; '
         'do not edit.',
         '// Regenerate: /usr/bin/python3 tests/baselines/controller_baseline.py',
         '// Float64 teacher-forced scores, REINFORCE loss, gradient norm and one TF Adam step (t = 1) for',
         '// the PTB, macro and micro controllers. Weights are float32; row-major layouts as in the script.',
         '#ifndef ENAS_TESTS_BASELINES_CONTROLLER_BASELINE_HPP',
         '#define ENAS_TESTS_BASELINES_CONTROLLER_BASELINE_HPP', '', 'namespace enas_baseline {', '']
    for space in ('ptb', 'macro', 'micro'):
        L += emit_space(space, compute_space(space))
    L += ['}  // namespace enas_baseline', '', '#endif  // ENAS_TESTS_BASELINES_CONTROLLER_BASELINE_HPP']
    assert all(len(line) <= 110 for line in L)
    with open(out_path, 'w') as fh:
        fh.write('\n'.join(L) + '\n')


if __name__ == '__main__':
    main()
