"""The whole-marketplace simulation (`flask --app wsgi simulate`): a seeded random driver that
runs the real services — the functions the views, CLI and worker call — through long sequences
of actions by many actors over simulated time, with faults injected between statements, and
checks the global money invariants after every step (in the spirit of TigerBeetle's VOPR)."""
