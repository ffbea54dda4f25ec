"""The random draws of the data pipeline (shuffling, sampling, splitting), in PyTorch's order.

PyTorch's samplers call `torch.randperm`, `torch.randint`, `torch.multinomial` and
`torch.empty((), dtype=torch.int64).random_()`; with ember's generator (`ember.random`, a
bit-exact copy of PyTorch's) the same calls give the same shuffles as PyTorch for the same seed.

Until those functions exist in ember, each helper falls back to NumPy's random module: shuffles
are then random but not PyTorch's.
"""
import numpy as np


def _ember():
    import ember
    return ember


def default_generator():
    """ember's global generator, or None before it exists."""
    rnd = getattr(_ember(), "random", None)
    return getattr(rnd, "default_generator", None)


def new_generator(seed):
    """A fresh generator seeded with `seed` (PyTorch: `g = torch.Generator(); g.manual_seed(s)`)."""
    rnd = getattr(_ember(), "random", None)
    if rnd is not None and hasattr(rnd, "Generator"):
        g = rnd.Generator()
        g.manual_seed(seed)
        return g
    return np.random.default_rng(seed)


def int63(generator=None):
    """`torch.empty((), dtype=torch.int64).random_(generator=g).item()`: a random int in
    [0, 2**63) from two 32-bit words of the generator."""
    ember = _ember()
    if hasattr(ember.Tensor, "random_"):
        return int(ember.empty((), dtype=ember.int64).random_(generator=generator).item())
    rnd = getattr(ember, "random", None)
    if rnd is not None and hasattr(rnd, "_int63") and not isinstance(generator,
                                                                      np.random.Generator):
        return rnd._int63(generator)
    return int(_numpy_rng(generator).integers(0, 2 ** 63 - 1))


def randperm(n, generator=None):
    """`torch.randperm(n, generator=g).tolist()`."""
    ember = _ember()
    if hasattr(ember, "randperm") and not isinstance(generator, np.random.Generator):
        return ember.randperm(n, generator=generator).tolist()
    return _numpy_rng(generator).permutation(n).tolist()


def randint(high, size, generator=None):
    """`torch.randint(high=high, size=(size,), dtype=torch.int64, generator=g).tolist()`."""
    ember = _ember()
    if hasattr(ember, "randint") and not isinstance(generator, np.random.Generator):
        return ember.randint(high=high, size=(size,), dtype=ember.int64,
                             generator=generator).tolist()
    return _numpy_rng(generator).integers(0, high, size).tolist()


def multinomial(weights, num_samples, replacement, generator=None):
    """`torch.multinomial(weights, num_samples, replacement, generator=g).tolist()`."""
    ember = _ember()
    if hasattr(ember, "multinomial") and not isinstance(generator, np.random.Generator):
        return ember.multinomial(weights, num_samples, replacement,
                                 generator=generator).tolist()
    w = np.asarray(weights._data, np.float64)
    return _numpy_rng(generator).choice(len(w), size=num_samples, replace=replacement,
                                        p=w / w.sum()).tolist()


def _numpy_rng(generator):
    """The NumPy stand-in: a NumPy generator as given, one seeded from an ember generator's
    next draw (so a seeded ember generator still gives repeatable shuffles), or NumPy's
    global state."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None and hasattr(generator, "_random64"):
        return np.random.default_rng(generator._random64())
    return np.random.default_rng(np.random.randint(0, 2 ** 31))
