"""All parameters as one flat vector, and back (e.g. for second-order methods)."""
from ... import _tensor
from ...ops import nn_ops

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Every parameter flattened and joined end to end, in order (differentiable).

    >>> from ember import nn
    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    torch.Size([8])
    """
    return nn_ops.cat_1d([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy slices of the flat vector `vec` back into the parameters (their storage is
    replaced: `param.data = ...`)."""
    if not isinstance(vec, _tensor.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
