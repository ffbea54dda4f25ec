"""Algorithms built on ember.distributed (`ddp_comm_hooks`: how DDP reduces gradients)."""
