"""ember.distributions against torch.distributions: samples for the same seed (bit for bit:
ember's generator reproduces PyTorch's CPU streams and each distribution draws with the same
calls in the same order), log_prob/entropy/moments/cdf/icdf values, gradients through
rsample and log_prob, shapes, reprs, validation errors and kl_divergence.

Tolerances: samples and pure-arithmetic results are compared bit for bit; results through
log/exp/erf/softplus within a few float32 ulps (NumPy's and PyTorch's vectorised
transcendental functions may round the last bit differently).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

TOL = dict(rtol=4e-6, atol=1e-6)


def _np(x):
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    return x.detach().numpy()


def same(e, t, exact=False):
    """Compare an ember result (tensor or number) with torch's: shape, dtype, values."""
    if isinstance(t, torch.Tensor):
        assert tuple(e.shape) == tuple(t.shape)
        assert str(e.dtype) == str(t.dtype)
        if exact:
            np.testing.assert_array_equal(_np(e), _np(t))
        else:
            np.testing.assert_allclose(_np(e), _np(t), **TOL)
    else:
        assert e == t


def both(fn):
    """fn(lib) with lib = ember and torch (same seed first); returns (ember, torch) results."""
    ember.manual_seed(0)
    e = fn(ember)
    torch.manual_seed(0)
    t = fn(torch)
    return e, t


def T(lib, data, **kw):
    return lib.tensor(data, **kw)


# ------------------------------------------------------------------ samples (same seed)

SAMPLERS = {
    "normal": lambda L: L.distributions.Normal(T(L, [0.5, -1.0, 2.0]), T(L, [1.0, 0.5, 2.0])),
    "normal_scalar": lambda L: L.distributions.Normal(0.0, 1.0),
    "bernoulli_probs": lambda L: L.distributions.Bernoulli(probs=T(L, [0.2, 0.5, 0.9])),
    "bernoulli_logits": lambda L: L.distributions.Bernoulli(logits=T(L, [0.2, -0.5, 3.0])),
    "categorical": lambda L: L.distributions.Categorical(
        probs=T(L, [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])),
    "categorical_logits": lambda L: L.distributions.Categorical(logits=T(L, [1.0, 2.0, 0.5])),
    "uniform": lambda L: L.distributions.Uniform(T(L, [0.0, 1.0]), T(L, [1.0, 3.0])),
    "exponential": lambda L: L.distributions.Exponential(T(L, [0.5, 2.0])),
    "onehot": lambda L: L.distributions.OneHotCategorical(probs=T(L, [0.2, 0.3, 0.5])),
    "independent": lambda L: L.distributions.Independent(
        L.distributions.Normal(T(L, [[0.0, 1.0], [2.0, 3.0]]), T(L, [[1.0, 2.0], [3.0, 4.0]])), 1),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_sample_same_seed(name, shape):
    e, t = both(lambda L: (SAMPLERS[name](L).sample(shape), SAMPLERS[name](L).sample(shape)))
    for a, b in zip(e, t):
        same(a, b, exact=True)


@pytest.mark.parametrize("name", ["normal", "uniform", "exponential", "independent"])
def test_rsample_same_seed_and_grad(name):
    def run(L):
        d = SAMPLERS[name](L)
        params = [v for v in vars(d.base_dist if name == "independent" else d).values()
                  if isinstance(v, L.Tensor)]
        for p in params:
            p.requires_grad_()
        r = d.rsample((4,))
        (r * r).sum().backward()
        return [r] + [p.grad for p in params], type(r.grad_fn).__name__
    (e, en), (t, tn) = both(run)
    assert en == tn
    for a, b in zip(e, t):
        same(a, b, exact=True)


# ------------------------------------------------------------------ values

VALUES = {
    "normal": (SAMPLERS["normal"], [0.1, 0.2, 0.3]),
    "normal_scalar": (SAMPLERS["normal_scalar"], 0.3),
    "bernoulli_probs": (SAMPLERS["bernoulli_probs"], [1.0, 0.0, 1.0]),
    "bernoulli_logits": (SAMPLERS["bernoulli_logits"], [0.0, 0.0, 1.0]),
    "categorical": (SAMPLERS["categorical"], [0, 2]),
    "categorical_logits": (SAMPLERS["categorical_logits"], [[2], [0]]),
    "uniform": (SAMPLERS["uniform"], [0.5, 2.5]),
    "exponential": (SAMPLERS["exponential"], [1.0, 2.0]),
    "onehot": (SAMPLERS["onehot"], [0.0, 1.0, 0.0]),
    "independent": (SAMPLERS["independent"], [[0.5, 0.5], [1.0, -1.0]]),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values(name):
    make, value = VALUES[name]

    def run(L):
        d = make(L)
        out = {"log_prob": d.log_prob(L.tensor(value)), "repr": repr(d),
               "batch_shape": tuple(d.batch_shape), "event_shape": tuple(d.event_shape),
               "has_rsample": d.has_rsample, "support": repr(d.support)}
        for attr in ["entropy", "mean", "mode", "variance", "stddev", "perplexity"]:
            try:
                v = getattr(d, attr)
                out[attr] = v() if callable(v) else v
            except NotImplementedError as exc:
                out[attr] = f"NotImplementedError {exc}".replace("torch.distributions",
                                                                 "ember.distributions")
        for attr, arg in [("cdf", L.tensor(value)), ("icdf", L.full(L.tensor(value).shape, 0.3))]:
            try:
                out[attr] = getattr(d, attr)(arg)
            except NotImplementedError:
                out[attr] = "NotImplementedError"
        if d.has_enumerate_support:
            out["enum"] = d.enumerate_support()
            out["enum_noexpand"] = d.enumerate_support(expand=False)
        return out
    e, t = both(run)
    assert e.keys() == t.keys()
    for k in t:
        same(e[k], t[k], exact=k in ("mode", "enum", "enum_noexpand"))


def test_log_prob_gradients():
    def run(L):
        loc = L.tensor([0.5, -1.0], requires_grad=True)
        scale = L.tensor([1.0, 2.0], requires_grad=True)
        logits = L.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], requires_grad=True)
        probs = L.tensor([0.3, 0.8], requires_grad=True)
        rate = L.tensor([0.5, 2.0], requires_grad=True)
        D = L.distributions
        total = (D.Normal(loc, scale).log_prob(L.tensor([0.1, 0.2])).sum()
                 + D.Normal(loc, scale).entropy().sum()
                 + D.Categorical(logits=logits).log_prob(L.tensor([1, 2])).sum()
                 + D.Categorical(logits=logits).entropy().sum()
                 + D.Bernoulli(probs=probs).log_prob(L.tensor([1.0, 0.0])).sum()
                 + D.Bernoulli(probs=probs).entropy().sum()
                 + D.Exponential(rate).log_prob(L.tensor([1.0, 0.5])).sum())
        total.backward()
        return [total, loc.grad, scale.grad, logits.grad, probs.grad, rate.grad]
    e, t = both(run)
    for a, b in zip(e, t):
        same(a, b)


def test_expand_and_shapes():
    def run(L):
        D = L.distributions
        n = D.Normal(T(L, [0.0, 1.0]), T(L, [1.0, 2.0])).expand((3, 2))
        c = D.Categorical(logits=T(L, [1.0, 2.0, 0.5])).expand((2,))
        i = D.Independent(D.Normal(L.zeros(2, 3), L.ones(2, 3)), 2)
        return [tuple(n.batch_shape), n.sample((4,)).shape, tuple(c.batch_shape),
                c.sample((5,)), tuple(i.batch_shape), tuple(i.event_shape),
                i.log_prob(L.ones(4, 2, 3)), repr(i), repr(n)]
    e, t = both(run)
    for a, b in zip(e, t):
        if isinstance(b, torch.Tensor):
            same(a, b)
        else:
            assert tuple(a) == tuple(b) if isinstance(b, tuple) else a == b


def test_lazy_probs_logits():
    def run(L):
        b = L.distributions.Bernoulli(logits=T(L, [0.2, -3.0]))
        c = L.distributions.Categorical(probs=T(L, [1.0, 3.0]))
        return [b.probs, b.logits, c.logits, c.probs, "probs" in vars(b), repr(b)]
    e, t = both(run)
    for a, b in zip(e, t):
        same(a, b)


# ------------------------------------------------------------------ kl_divergence

KL_PAIRS = {
    "normal": lambda L: (L.distributions.Normal(T(L, [0.5, -1.0]), T(L, [1.0, 0.5])),
                         L.distributions.Normal(T(L, [0.0, 0.0]), T(L, [2.0, 1.0]))),
    "bernoulli": lambda L: (L.distributions.Bernoulli(probs=T(L, [0.2, 0.5, 0.0])),
                            L.distributions.Bernoulli(logits=T(L, [0.2, -0.5, 3.0]))),
    "categorical": lambda L: (L.distributions.Categorical(logits=T(L, [1.0, 2.0, 0.5])),
                              L.distributions.Categorical(probs=T(L, [0.0, 0.5, 0.5]))),
    "categorical_finite": lambda L: (L.distributions.Categorical(probs=T(L, [0.2, 0.5, 0.3])),
                                     L.distributions.Categorical(probs=T(L, [0.1, 0.6, 0.3]))),
    "onehot": lambda L: (L.distributions.OneHotCategorical(probs=T(L, [0.2, 0.5, 0.3])),
                         L.distributions.OneHotCategorical(logits=T(L, [0.1, 0.6, 0.3]))),
    "uniform": lambda L: (L.distributions.Uniform(T(L, [0.0, 1.0]), T(L, [1.0, 3.0])),
                          L.distributions.Uniform(T(L, [0.0, 0.0]), T(L, [2.0, 2.0]))),
    "exponential": lambda L: (L.distributions.Exponential(T(L, [0.5, 2.0])),
                              L.distributions.Exponential(T(L, [1.0, 1.5]))),
    "uniform_normal": lambda L: (L.distributions.Uniform(T(L, [0.0, 1.0]), T(L, [1.0, 3.0])),
                                 L.distributions.Normal(T(L, [0.0, 1.0]), T(L, [1.0, 2.0]))),
    "exponential_normal": lambda L: (L.distributions.Exponential(T(L, [0.5, 2.0])),
                                     L.distributions.Normal(T(L, [0.0, 1.0]), T(L, [1.0, 2.0]))),
    "normal_uniform": lambda L: (L.distributions.Normal(T(L, [0.0, 1.0]), T(L, [1.0, 2.0])),
                                 L.distributions.Uniform(T(L, [0.0, 1.0]), T(L, [1.0, 3.0]))),
    "uniform_exponential": lambda L: (L.distributions.Uniform(T(L, [-1.0, 1.0]), T(L, [1.0, 3.0])),
                                      L.distributions.Exponential(T(L, [0.5, 2.0]))),
    "independent": lambda L: (
        L.distributions.Independent(L.distributions.Normal(L.zeros(2, 3), L.ones(2, 3)), 1),
        L.distributions.Independent(L.distributions.Normal(L.ones(2, 3), 2 * L.ones(2, 3)), 1)),
}


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence(name):
    e, t = both(lambda L: L.distributions.kl_divergence(*KL_PAIRS[name](L)))
    same(e, t)


def test_kl_gradient_and_register():
    def run(L):
        loc = L.tensor([0.5, -1.0], requires_grad=True)
        kl = L.distributions.kl_divergence(L.distributions.Normal(loc, L.ones(2)),
                                           L.distributions.Normal(L.zeros(2), L.ones(2)))
        kl.sum().backward()
        return kl, loc.grad, type(kl.grad_fn).__name__
    e, t = both(run)
    same(e[0], t[0]), same(e[1], t[1])
    assert e[2] == t[2]

    class MyNormal(ember.distributions.Normal):
        pass

    @ember.distributions.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return ember.zeros(p.batch_shape)
    try:
        assert ember.distributions.kl_divergence(MyNormal(0.0, 1.0), MyNormal(1.0, 1.0)).item() == 0
        # a subclass pair not registered falls back to the parent's formula
        assert ember.distributions.kl_divergence(
            MyNormal(0.0, 1.0), ember.distributions.Normal(1.0, 1.0)).item() == 0.5
    finally:
        del ember.distributions.kl._KL_REGISTRY[MyNormal, MyNormal]
        ember.distributions.kl._KL_MEMOIZE.clear()


# ------------------------------------------------------------------ errors

ERRORS = [
    lambda L: L.distributions.Normal(T(L, [0.0]), T(L, [-1.0])),
    lambda L: L.distributions.Bernoulli(probs=T(L, [1.5])),
    lambda L: L.distributions.Bernoulli(),
    lambda L: L.distributions.Bernoulli(probs=T(L, [0.5]), logits=T(L, [0.0])),
    lambda L: L.distributions.Categorical(probs=T(L, 0.5)),
    lambda L: L.distributions.Categorical(logits=T(L, 0.5)),
    lambda L: L.distributions.Uniform(1.0, 0.0),
    lambda L: L.distributions.Exponential(T(L, [0.0])),
    lambda L: L.distributions.Normal(L.zeros(3), L.ones(3)).log_prob(L.ones(2)),
    lambda L: L.distributions.Bernoulli(probs=T(L, [0.2, 0.5])).log_prob(T(L, [0.5, 0.0])),
    lambda L: L.distributions.Categorical(probs=T(L, [0.2, 0.8])).log_prob(T(L, [2])),
    lambda L: L.distributions.Exponential(T(L, [1.0])).log_prob(T(L, [-1.0])),
    lambda L: L.distributions.Normal(0.0, 1.0).log_prob(0.5),
    lambda L: L.distributions.Independent(L.distributions.Normal(L.zeros(2), L.ones(2)), 2),
    lambda L: L.distributions.kl_divergence(L.distributions.Bernoulli(0.5),
                                            L.distributions.Normal(0.0, 1.0)),
    lambda L: L.distributions.kl_divergence(L.distributions.Categorical(logits=L.zeros(2)),
                                            L.distributions.Normal(0.0, 1.0)),
    lambda L: L.distributions.Distribution.set_default_validate_args(3),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    with pytest.raises(Exception) as te:
        ERRORS[i](torch)
    with pytest.raises(type(te.value)) as ee:
        ERRORS[i](ember)
    assert str(ee.value).replace("ember", "torch") == str(te.value)


def test_validate_args_off():
    for L in (ember, torch):
        d = L.distributions.Normal(T(L, [0.0]), T(L, [-1.0]), validate_args=False)
        assert tuple(d.batch_shape) == (1,)
        L.distributions.Distribution.set_default_validate_args(False)
        try:
            L.distributions.Bernoulli(probs=T(L, [2.0]))
        finally:
            L.distributions.Distribution.set_default_validate_args(True)


def test_constraints():
    for L in (ember, torch):
        C = L.distributions.constraints
        x = T(L, [-1.0, 0.0, 0.5, 1.0, float("nan")])
        got = [C.real.check(x), C.positive.check(x), C.nonnegative.check(x),
               C.unit_interval.check(x), C.boolean.check(x),
               C.integer_interval(0, 1).check(x), C.interval(-1, 0.5).check(x),
               C.half_open_interval(-1, 0.5).check(x), C.greater_than(0.0).check(x),
               C.less_than(0.5).check(x), C.simplex.check(T(L, [[0.5, 0.5], [0.5, 0.6]])),
               C.real_vector.check(T(L, [[0.0, float("nan")], [1.0, 2.0]])),
               C.one_hot.check(T(L, [[0.0, 1.0], [1.0, 1.0]])),
               C.lower_cholesky.check(T(L, [[1.0, 0.0], [2.0, 3.0]])),
               C.lower_triangular.check(T(L, [[1.0, 1.0], [2.0, 3.0]]))]
        if L is ember:
            e = got
        else:
            for a, b in zip(e, got):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
        reprs = [repr(c) for c in (C.real, C.positive, C.unit_interval, C.simplex,
                                   C.integer_interval(0, 3), C.real_vector, C.boolean)]
        if L is ember:
            er = reprs
        else:
            assert er == reprs
    assert ember.distributions.constraints.is_dependent(ember.distributions.constraints.dependent)
