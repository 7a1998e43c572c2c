"""What a model is made of: the project's config.yml, domain.yml and data/, packed into one
archive before it trains. Rolling back to a model puts its archive back; the patch says what
an archive changed against the repository's committed files, for developers to apply.

The archive is reproducible (sorted names, no dates, no owners): the same files give the same
bytes, so its SHA-256 says whether two models were built from the same data.
"""
import difflib
import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path
from typing import Dict, Iterator, Tuple

# What training reads, relative to the project folder.
PROJECT_FILES = ("config.yml", "domain.yml", "data")
# Held by whatever reads or writes the project's training files in the console's process
# (packing for a training, a rollback's restore, approving corrections, saving an answer), so
# that none of them sees the others' work half done.
PROJECT_LOCK = threading.RLock()
# Training data is small text; an archive or file beyond these is not one of ours.
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024


def _project_files(project: Path) -> Iterator[Tuple[str, Path]]:
    for name in PROJECT_FILES:
        path = project / name
        if path.is_file():
            yield name, path
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and not found.name.startswith("."):
                    yield found.relative_to(project).as_posix(), found


def pack(project: Path) -> bytes:
    """The project's training files as a reproducible .tar.gz."""
    raw = io.BytesIO()
    with PROJECT_LOCK, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in _project_files(project):
            content = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def unpack(archive: Path) -> Dict[str, bytes]:
    """The files of an archive made by `pack`, by relative name; anything else is refused."""
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise ValueError(f"{archive.name} is larger than a project's training files can be")
    return read(archive.read_bytes())


def read(content: bytes) -> Dict[str, bytes]:
    files: Dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as opened:
        for member in opened.getmembers():
            name = member.name
            if (not member.isfile() or name.startswith("/") or ".." in Path(name).parts
                    or not name.startswith(PROJECT_FILES) or member.size > MAX_FILE_BYTES):
                raise ValueError(f"the archive holds {name!r}, which is not a training file")
            files[name] = opened.extractfile(member).read()
    return files


def restore(archive: Path, project: Path) -> None:
    """Make the project's training files those of `archive`: files it lacks are removed.
    The new files are written aside first and the old ones moved aside, then swapped, so that a
    failure leaves the project's files as they were."""
    files = unpack(archive)
    if not all(name in files for name in ("config.yml", "domain.yml")) or not any(
            name.startswith("data/") for name in files):
        raise ValueError(f"{archive.name} lacks the configuration, the domain or the data")
    staging, old = project / ".restoring", project / ".restored-over"
    with PROJECT_LOCK:
        for folder in (staging, old):
            shutil.rmtree(folder, ignore_errors=True)
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        old.mkdir()
        moved = []
        try:
            for name in PROJECT_FILES:
                if (project / name).exists():
                    (project / name).rename(old / name)
                    moved.append(name)
            for name in PROJECT_FILES:
                (staging / name).rename(project / name)
        except OSError:
            for name in PROJECT_FILES:  # put back what was there
                if name in moved:
                    if (project / name).is_dir():
                        shutil.rmtree(project / name)
                    elif (project / name).exists():
                        (project / name).unlink()
                    (old / name).rename(project / name)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def committed_files(repository: Path) -> Dict[str, bytes]:
    """The training files as the repository's last commit has them (empty outside a git
    checkout, so that everything counts as changed)."""
    try:
        listed = subprocess.run(["git", "-C", str(repository), "ls-files", "-z", "--", *PROJECT_FILES],
                                capture_output=True, check=True, timeout=30).stdout.decode("utf-8")
    except (OSError, subprocess.SubprocessError):
        return {}
    files = {}
    for name in filter(None, listed.split("\0")):
        shown = subprocess.run(["git", "-C", str(repository), "show", f"HEAD:{name}"], capture_output=True, timeout=30)
        if shown.returncode == 0:
            files[name] = shown.stdout
    return files


def patch(archive: Path, repository: Path) -> str:
    """A unified diff from the repository's committed training files to those of `archive`
    (`git apply` takes it in the repository's folder)."""
    before, after = committed_files(repository), unpack(archive)
    parts = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        old_lines = old.decode("utf-8").splitlines(keepends=True) if old is not None else []
        new_lines = new.decode("utf-8").splitlines(keepends=True) if new is not None else []
        diff = list(difflib.unified_diff(old_lines, new_lines, f"a/{name}" if old is not None else "/dev/null",
                                         f"b/{name}" if new is not None else "/dev/null"))
        header = [f"diff --git a/{name} b/{name}\n"]
        if old is None:
            header.append("new file mode 100644\n")
        elif new is None:
            header.append("deleted file mode 100644\n")
        parts.append("".join(header + [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                                       for line in diff]))
    return "".join(parts)
