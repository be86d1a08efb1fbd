"""Static files under content-hashed URLs, cached by browsers for a year.

Every `url_for('static', filename=…)` gets `?v=<hash of the file>`: a changed file has a new URL,
so the old one may be cached forever. A request with the current hash is answered with
`Cache-Control: public, max-age=31536000, immutable`; any other keeps Flask's revalidation.
"""
import hashlib
import os

from flask import current_app, request

ONE_YEAR = 365 * 24 * 3600
_hashes = {}  # (path, mtime, size) → hash: a file is read once per change


def file_hash(filename):
    path = os.path.join(current_app.static_folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _hashes:
        with open(path, "rb") as file:
            _hashes[key] = hashlib.sha256(file.read()).hexdigest()[:12]
    return _hashes[key]


def add_hash(endpoint, values):
    """url_defaults: the content hash of a static file, unless the caller gave one."""
    if endpoint == "static" and "v" not in values and values.get("filename"):
        digest = file_hash(values["filename"])
        if digest:
            values["v"] = digest


def immutable_when_hashed(response):
    if request.endpoint == "static" and response.status_code in (200, 304) and request.args.get("v") and \
            request.args["v"] == file_hash(request.view_args.get("filename", "")):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def register(app):
    app.url_defaults(add_hash)
    app.after_request(immutable_when_hashed)
