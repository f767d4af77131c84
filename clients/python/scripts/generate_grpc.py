#!/usr/bin/env python3
"""Generates the Python gRPC stubs of the AUREN ingest from the repository's .proto.

    python scripts/generate_grpc.py            # rewrites auren/grpc/events_pb2{,_grpc}.py{,i}
    python scripts/generate_grpc.py --check    # exit 1 when the committed stubs are not current
    python scripts/generate_grpc.py --package my_stubs --out /path/to/site   # your own copy

Needs grpcio-tools (pinned in requirements-test.txt; the stubs need grpcio and protobuf at least
as new as the grpcio-tools that made them, see auren/grpc/__init__.py).

Why not ``protoc -I libs/contracts/src/proto auren/events/v1/events.proto``: protoc names Python
modules after the file's path, so that makes a package ``auren.events.v1``, and the SDK's
``auren`` package (whose ``auren.events`` is a module) hides it. The .proto is copied to
``<package path>/events.proto`` in a temporary folder and compiled from there, so the modules
land in ``<package>`` (default ``auren.grpc``). The proto package, and with it every gRPC method
path (``/auren.events.v1.EventIngest/Publish``), stays ``auren.events.v1``.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK = HERE.parent
PROTO = SDK.parents[1] / "libs" / "contracts" / "src" / "proto" / "auren" / "events" / "v1" / "events.proto"
OUTPUTS = ("events_pb2.py", "events_pb2.pyi", "events_pb2_grpc.py")


def generate(proto: Path, package: str, out_root: Path) -> Path:
    """Compiles ``proto`` into ``out_root/<package as a path>/``; returns that folder."""
    try:
        from grpc_tools import protoc
    except ImportError:
        sys.exit("grpcio-tools is missing: pip install -r requirements-test.txt (or pip install grpcio-tools)")
    import importlib.resources

    parts = package.split(".")
    if not all(part.isidentifier() for part in parts):
        sys.exit(f"--package {package!r} is not a dotted Python name")
    with tempfile.TemporaryDirectory() as source_root:
        source = Path(source_root).joinpath(*parts, "events.proto")
        source.parent.mkdir(parents=True)
        shutil.copyfile(proto, source)
        well_known = importlib.resources.files("grpc_tools") / "_proto"  # google/protobuf/*.proto
        relative = "/".join([*parts, "events.proto"])
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{source_root}",
                f"-I{well_known}",
                f"--python_out={out_root}",
                f"--pyi_out={out_root}",
                f"--grpc_python_out={out_root}",
                relative,
            ]
        )
        if code != 0:
            sys.exit(f"protoc failed on {proto} (exit code {code})")
    return out_root.joinpath(*parts)


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate the Python gRPC stubs of the AUREN ingest.")
    parser.add_argument("--proto", type=Path, default=PROTO, help=f"the .proto (default {PROTO})")
    parser.add_argument("--package", default="auren.grpc", help="Python package of the modules (default auren.grpc)")
    parser.add_argument("--out", type=Path, default=SDK, help="folder the package path starts in (default: the SDK)")
    parser.add_argument("--check", action="store_true", help="compare with the files in place instead of writing")
    args = parser.parse_args()
    if not args.proto.is_file():
        sys.exit(f"{args.proto} not found (pass --proto)")

    target = args.out.joinpath(*args.package.split("."))
    if not args.check:
        target.mkdir(parents=True, exist_ok=True)
        generate(args.proto, args.package, args.out)
        print(f"wrote {', '.join(OUTPUTS)} to {target}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(args.proto, args.package, Path(scratch))
        stale = [name for name in OUTPUTS if not (target / name).is_file() or not filecmp.cmp(fresh / name, target / name, shallow=False)]
    if stale:
        print(
            f"{', '.join(stale)} in {target} differ from what {args.proto.name} generates: "
            f"run python {Path(__file__).relative_to(SDK)} (from {SDK}) and commit the result",
            file=sys.stderr,
        )
        return 1
    print(f"{target}: current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
