"""Background jobs: each item in its own transaction, failures recorded per item and shown to
operators (the worker's jobs are listed in marketplace/worker.py)."""
