"""A local S3 server for the tests: moto's server mode on 127.0.0.1, reached through the AWS
environment variables every SDK reads (``AWS_ENDPOINT_URL`` and credentials), so the code under
test talks real HTTP to a real S3 API exactly as it would to a bucket — nothing is patched."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass
class S3:
    endpoint: str
    env: dict[str, str]

    def bucket(self, prefix: str = "out") -> str:
        """A new empty bucket; returns the root URI ``s3://<bucket>/<prefix>``."""
        import boto3

        name = f"xxgk-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1").create_bucket(Bucket=name)
        return f"s3://{name}/{prefix}"

    def keys(self, uri: str) -> dict[str, str]:
        """Every object under ``uri`` with its ETag (what changed between two runs)."""
        import boto3

        bucket, _, prefix = uri[len("s3://"):].partition("/")
        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")
        out: dict[str, str] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.update({o["Key"]: o["ETag"] for o in page.get("Contents", [])})
        return out


@contextlib.contextmanager
def moto_s3() -> Iterator[S3]:
    """Start moto's S3 server on a free loopback port and point the AWS environment at it."""
    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield S3(endpoint, env)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()
