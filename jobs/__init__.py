"""Job adapters: each job is a small function that runs one service in its own unit of work."""
