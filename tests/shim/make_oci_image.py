#!/usr/bin/env python3
"""Writes an OCI image layout tarball (one uncompressed layer) for `ctr image import`.

make_oci_image.py OUT.tar NAME ROOTFS_DIR [--entrypoint JSON] [--cmd JSON] [--env K=V]...
No network, no docker: the tests build their images from files they just made.
"""
import argparse, hashlib, io, json, os, tarfile


def blob(files, data):
    digest = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + digest] = data
    return "sha256:" + digest, len(data)


def layer_tar(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for base, dirs, names in os.walk(rootfs):
            dirs.sort()
            for n in sorted(dirs) + sorted(names):
                p = os.path.join(base, n)
                info = t.gettarinfo(p, os.path.relpath(p, rootfs))
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                if info.isreg():
                    with open(p, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("rootfs")
    ap.add_argument("--entrypoint", default=None)
    ap.add_argument("--cmd", default=None)
    ap.add_argument("--env", action="append", default=[])
    a = ap.parse_args()

    files = {}
    layer = layer_tar(a.rootfs)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_digest, layer_size = blob(files, layer)
    cfg = {"Env": a.env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    if a.entrypoint:
        cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.cmd:
        cfg["Cmd"] = json.loads(a.cmd)
    config = {
        "architecture": "amd64", "os": "linux", "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_digest, config_size = blob(files, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer_size}],
    }
    manifest_digest, manifest_size = blob(files, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": a.name,
                            "org.opencontainers.image.ref.name": a.name.rsplit(":", 1)[-1]},
        }],
    }
    files["index.json"] = json.dumps(index).encode()
    files["oci-layout"] = json.dumps({"imageLayoutVersion": "1.0.0"}).encode()

    with tarfile.open(a.out, "w") as t:
        for name in ["oci-layout", "index.json"] + sorted(k for k in files if k.startswith("blobs/")):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            t.addfile(info, io.BytesIO(files[name]))


if __name__ == "__main__":
    main()
