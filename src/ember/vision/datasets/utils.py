"""Downloading and checking dataset files: md5 sums, urllib downloads, archive extraction.

Only the Python standard library is used. Offline, a download fails with the URLs tried and
why, so the error says exactly which file to copy where by hand.
"""
import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile

USER_AGENT = "ember.vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5):
    return md5 == calculate_md5(fpath)


def check_integrity(fpath, md5=None):
    """True if the file exists (and, when `md5` is given, has that checksum)."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url, root, filename=None, md5=None, timeout=60):
    """Download `url` into `root/filename`, unless a file with the right md5 is already there."""
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    # write to a side file first, so an interrupted download never looks like a finished one
    partial = fpath + ".partial"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as f:
        shutil.copyfileobj(response, f)
    os.replace(partial, fpath)
    if not check_integrity(fpath, md5):
        raise RuntimeError(f"File not found or corrupted: {fpath} does not have md5 {md5}")
    return fpath


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Unpack a .tar/.tar.gz/.tgz/.zip into `to_path`, or decompress a lone .gz beside it."""
    to_path = to_path or os.path.dirname(from_path)
    if from_path.endswith((".tar", ".tar.gz", ".tgz")):
        with tarfile.open(from_path) as tar:
            if hasattr(tarfile, "data_filter"):     # refuse absolute paths and links out
                tar.extractall(to_path, filter="data")
            else:
                tar.extractall(to_path)
    elif from_path.endswith(".zip"):
        with zipfile.ZipFile(from_path) as archive:
            archive.extractall(to_path)
    elif from_path.endswith(".gz"):
        out = os.path.join(to_path, os.path.basename(from_path)[:-3])
        with gzip.open(from_path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"Extraction of {from_path} not supported")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished=False):
    filename = filename or os.path.basename(url)
    fpath = download_url(url, download_root, filename, md5)
    extract_archive(fpath, extract_root or download_root, remove_finished)


def download_from_mirrors(mirrors, filename, folder, md5):
    """Try each mirror in turn; if none answers, raise one error listing every attempt."""
    errors = []
    for mirror in mirrors:
        try:
            return download_url(mirror + filename, folder, filename, md5)
        except (urllib.error.URLError, OSError, RuntimeError) as error:
            errors.append((mirror, error))
    lines = [f"Error downloading {filename}:"]
    for mirror, error in errors:
        lines += [f"Tried {mirror}, got:", str(error)]
    lines.append(f"Offline? Put {filename} (md5 {md5}) in {folder} by hand.")
    raise RuntimeError("\n".join(lines))
