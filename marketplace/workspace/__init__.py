"""Workspaces: what each role has to do next, each item linking to its action."""
