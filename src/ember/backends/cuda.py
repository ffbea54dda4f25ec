"""`ember.backends.cuda`: CUDA's switches on a build without CUDA."""


def is_built():
    return False


class _MatmulFlags:
    """`torch.backends.cuda.matmul.allow_tf32` and friends: kept, never used."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()
