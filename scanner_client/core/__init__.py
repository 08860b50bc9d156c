"""What the gate and the till share: the local store, the connection state, the outbox and the feed."""
