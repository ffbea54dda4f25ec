"""Autograd Functions used by `nn.Module` itself."""
from ...autograd.function import Function


class BackwardHookFunction(Function):
    """The identity, recorded as one node: a module with full backward hooks passes its tensor
    inputs and outputs through it, so that the node's hooks see exactly the gradients with
    respect to those tensors (see `_BackwardHook` in module.py). Its node is named
    `BackwardHookFunctionBackward`, as in PyTorch."""

    @staticmethod
    def forward(ctx, *args):
        # an input that needs no gradient comes out needing none either
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads
