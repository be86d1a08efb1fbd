"""Backups: `flask --app wsgi backup create|verify|restore|checkpoint` (docs/deploy.md).

One tar file (mode 0600): `manifest.json` first — the database kind, its schema revision, the
ledger head and a signed checkpoint of it, each part's size and SHA-256, the manifest itself
signed (HMAC-SHA256 with AUDIT_CHECKPOINT_KEY) — then the database (`pg_dump` in the snapshot
the head was read in, or SQLite's online backup) and the uploads as a tar.

The latest checkpoint is also kept outside the database, in LEDGER_CHECKPOINT_FILE (written
hourly by the worker, and by `backup create` and `backup checkpoint`; it never moves back): a
backup older than it is reported (verify exits 3) and not restored without `--accept-older`, and
a backup whose ledger has another hash at the checkpoint's sequence is refused: that history was
rewritten."""
