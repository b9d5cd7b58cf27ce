"""A PEP 517 build backend in the standard library, so ``pip install ./clients/python`` works with
no package index at all (setuptools' backend needs setuptools and wheel fetched or installed).

It builds the one thing this project is: a pure-Python wheel of the ``jobpool`` package, and a
source archive of this directory.
"""

import base64
import hashlib
import os
import tarfile
import zipfile

NAME = "jobpool"
VERSION = "0.1.0"
SUMMARY = "A multiprocessing.Pool-shaped client for the jobpool service (standard library only)"
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)


def _metadata():
    readme_path = os.path.join(_HERE, "README.md")
    readme = open(readme_path, encoding="utf-8").read() if os.path.exists(readme_path) else ""
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: >=3.9\n"
            "Description-Content-Type: text/markdown\n\n%s" % (NAME, VERSION, SUMMARY, readme))


_WHEEL = "Wheel-Version: 1.0\nGenerator: jobpool_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    package = os.path.join(_HERE, NAME)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            yield "%s/%s" % (NAME, name), os.path.join(package, name)


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = os.path.join(metadata_directory, _DIST_INFO)
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "METADATA"), "w", encoding="utf-8") as out:
        out.write(_metadata())
    with open(os.path.join(target, "WHEEL"), "w", encoding="utf-8") as out:
        out.write(_WHEEL)
    return _DIST_INFO


def _write_wheel(wheel_directory, entries):
    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in entries + [("%s/METADATA" % _DIST_INFO, _metadata().encode("utf-8")),
                                     ("%s/WHEEL" % _DIST_INFO, _WHEEL.encode("utf-8"))]:
            wheel.writestr(path, data)
            records.append(_record_line(path, data))
        records.append("%s/RECORD,," % _DIST_INFO)
        wheel.writestr("%s/RECORD" % _DIST_INFO, "\n".join(records) + "\n")
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for path, source in _package_files():
        with open(source, "rb") as handle:
            entries.append((path, handle.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file puts this directory on sys.path: edits to jobpool/ take effect without reinstalling.
    return _write_wheel(wheel_directory, [("%s.pth" % NAME, (_HERE + "\n").encode("utf-8"))])


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, VERSION)
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as archive:
        for relative in ["pyproject.toml", "README.md", "_build/jobpool_build.py"] + [p for p, _ in _package_files()]:
            source = os.path.join(_HERE, relative)
            if os.path.exists(source):
                archive.add(source, arcname="%s/%s" % (base, relative))
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = _metadata().encode("utf-8")
        info.size = len(data)
        import io
        archive.addfile(info, io.BytesIO(data))
    return filename
