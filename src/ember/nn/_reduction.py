"""The `reduction` argument of the losses, and the deprecated `size_average`/`reduce` flags."""
import warnings


def get_enum(reduction):
    """Check `reduction` ('none', 'mean' or 'sum') and return it."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=2)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def legacy_get_string(size_average, reduce, emit_warning=True):
    """The `reduction` meant by the old flags: reduce=False gives 'none', size_average=False
    gives 'sum', otherwise 'mean' (with PyTorch's deprecation warning)."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret
