"""Differentiable ops by family; each op's forward, backward node and PyTorch name sit together."""
