"""Command line: ``python -m autograd_course backbone`` builds the cached course backbone.

The Makefile calls it so a fresh clone pays the pretraining once, before the
lessons run; ``which`` prints the backbone lesson 6 would use, without building.
"""

from __future__ import annotations

import argparse
import sys

from . import backbone


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m autograd_course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("backbone", help="build the course-pretrained resnet18 unless it is cached")
    build.add_argument("--force", action="store_true", help="rebuild even if a valid cached copy exists")
    sub.add_parser("which", help="print which backbone lesson 6 will use, without building anything")
    args = parser.parse_args(argv)

    if args.command == "which":
        choice = backbone.choose_backbone()
        if choice == "imagenet":
            print(f"imagenet: {backbone.imagenet_weights_file()}")
        else:
            file = backbone.course_backbone_file()
            print(f"course: {file} ({'cached' if file.is_file() else 'not built yet'})")
        return 0

    file = backbone.course_backbone_file()
    if args.force and file.is_file():
        file.unlink()
    try:
        backbone.load_course_backbone(file, build=True, verbose=True)
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"course backbone ready: {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
