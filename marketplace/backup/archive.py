"""The backup file: a tar whose first member is `manifest.json`, then the parts it lists."""
import hashlib
import io
import json
import os
import tarfile

FORMAT = "torch-marketplace-backup"
MANIFEST = "manifest.json"


class BackupBroken(Exception):
    pass


def digest_of(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def part_entry(name, path):
    return {"name": name, "size": os.path.getsize(path), "sha256": digest_of(path)}


def manifest_body(manifest):
    return {key: value for key, value in manifest.items() if key != "signature"}


def write(path, manifest, parts):
    """parts: {name: file path}. The file is created with mode 0600 (it holds the whole database)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as archive:
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        archive.addfile(info, io.BytesIO(data))
        for name, part in parts.items():
            archive.add(part, arcname=name, recursive=False)


def read_manifest(path):
    try:
        with tarfile.open(path, mode="r:") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST:
                raise BackupBroken("not a backup of this system (no manifest first)")
            manifest = json.load(archive.extractfile(first))
    except (OSError, tarfile.TarError, ValueError) as error:
        raise BackupBroken(f"the file cannot be read as a backup: {error}")
    if manifest.get("format") != FORMAT:
        raise BackupBroken("not a backup of this system")
    return manifest


def extract_parts(path, manifest, folder):
    """Extract every listed part into `folder`, checking its size and SHA-256; {name: path}."""
    listed = {part["name"]: part for part in manifest["parts"]}
    found = {}
    try:
        with tarfile.open(path, mode="r:") as archive:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if member.name not in listed or not member.isfile():
                    raise BackupBroken(f"the backup holds {member.name!r}, which its manifest does not list")
                target = os.path.join(folder, member.name)
                sha = hashlib.sha256()
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        sha.update(block)
                        out.write(block)
                part = listed[member.name]
                if member.size != part["size"] or sha.hexdigest() != part["sha256"]:
                    raise BackupBroken(f"part {member.name} was altered or cut short (its size or SHA-256 "
                                       "differs from the manifest)")
                found[member.name] = target
    except (OSError, tarfile.TarError) as error:
        raise BackupBroken(f"the backup cannot be read: {error}")
    missing = set(listed) - set(found)
    if missing:
        raise BackupBroken(f"the backup is missing {', '.join(sorted(missing))}")
    return found
