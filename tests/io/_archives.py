"""Reading and forging model-file archives, for the tests that attack the format."""

import io
import json
import zipfile

import numpy as np

from skbpnet.io import archive


def read_archive(path):
    """(metadata dict, {member name: bytes}) of a model file."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return json.loads(members.pop("metadata.json")), members


def write_archive(path, meta, members, reseal=True):
    """Write an archive; with ``reseal``, recompute the checksum as a forger could."""
    if reseal:
        arrays = {name[:-4]: np.load(io.BytesIO(data), allow_pickle=False)
                  for name, data in members.items()}
        body = {k: v for k, v in meta.items() if k != "sha256"}
        meta = {**body, "sha256": archive.checksum(body, arrays)}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        for name, data in members.items():
            zf.writestr(name, data)
