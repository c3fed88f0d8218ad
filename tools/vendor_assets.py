"""Vendor the explorer's third-party browser files into `dagviz/assets/`, and say where each came from.

    python tools/vendor_assets.py           # fetch with npm, check, copy, record (needs npm)
    python tools/vendor_assets.py --check   # offline: every recorded file is there, unchanged

`dagviz/assets/SOURCES.json` records, for each vendored file: the npm package and exact
version it was taken from, the file inside the package, the package's license (and the
licenses of what is compiled into it), the registry's integrity hash of the package
tarball, and the SHA-256 of the file as committed. Fetching uses `npm pack` (the ordinary
npm client, so the registry is whatever npm is configured with), refuses a tarball whose
integrity differs from the record, and never runs package scripts.

To move to a new version: edit "version" in SOURCES.json, delete its "npm_integrity", run
this script (it records the new hash), review the diff, rerun the explorer tests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "dagviz" / "assets"
RECORD = ASSETS / "SOURCES.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load() -> dict[str, dict[str, str]]:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def check() -> list[str]:
    """Problems with the committed files (empty when every file matches its record)."""
    problems = []
    for name, rec in load().items():
        path = ASSETS / name
        if not path.is_file():
            problems.append(f"{name}: missing (run python tools/vendor_assets.py)")
        elif sha256(path) != rec["sha256"]:
            problems.append(f"{name}: SHA-256 differs from SOURCES.json (edited by hand, or not re-recorded)")
        lic = rec.get("license_file")
        if lic and not (ASSETS / lic).is_file():
            problems.append(f"{name}: its license file {lic} is missing")
    return problems


def _integrity(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def fetch(name: str, rec: dict[str, str], tmp: Path) -> None:
    spec = f"{rec['package']}@{rec['version']}"
    if shutil.which("npm") is None:
        sys.exit("vendor_assets: npm is needed to fetch assets (Debian/Ubuntu: sudo apt-get install npm)")
    out = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(tmp), "--json", "--ignore-scripts"],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = tmp / json.loads(out.stdout)[0]["filename"]
    got = _integrity(tarball)
    if rec.get("npm_integrity") and rec["npm_integrity"] != got:
        sys.exit(f"vendor_assets: {spec} tarball integrity {got} differs from SOURCES.json; refusing it")
    rec["npm_integrity"] = got
    with tarfile.open(tarball) as tar:
        for member, dest in ((rec["file"], name), (rec.get("license_in_package"), rec.get("license_file"))):
            if not member or not dest:
                continue
            data = tar.extractfile(member)
            if data is None:
                sys.exit(f"vendor_assets: {member} not found in {spec}")
            (ASSETS / dest).write_bytes(data.read())
    rec["sha256"] = sha256(ASSETS / name)
    print(f"{name}: {spec} {rec['file']} ({(ASSETS / name).stat().st_size:,} bytes) sha256 {rec['sha256']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only verify the committed files (no network)")
    args = parser.parse_args()
    if not args.check:
        record = load()
        with tempfile.TemporaryDirectory() as tmp:
            for name, rec in record.items():
                fetch(name, rec, Path(tmp))
        RECORD.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    problems = check()
    for p in problems:
        print("vendor_assets:", p, file=sys.stderr)
    if not problems:
        print(f"vendor_assets: {len(load())} vendored file(s) match {RECORD.name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
