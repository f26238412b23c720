"""Guest signals: dispositions, masks, pending queues, delivery through the
kernel's signal frames, and the routing of host signals to the guest."""
