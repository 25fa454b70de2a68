"""Where a process's resident memory is, read from outside (``/proc/<pid>/smaps``).

Each mapping is put in one of these classes, by what the kernel shows of it:

- ``file``: pages of mapped files (the interpreter, shared libraries, extension
  modules), listed per file; mostly clean and shared with other processes.
- ``heap``: the brk heap, glibc's main malloc arena (``[heap]``).
- ``malloc_arenas``: glibc's per-thread arenas, 64 MiB reservations (a read-write part
  and its ``---p`` remainder) that a thread other than the main one mallocs in.
- ``thread_stacks``: threads' stacks, 8 MiB (and a guard page) each; the kernel
  shows the stacks of threads started one after the other as one mapping.
- ``anonymous``: every other private anonymous mapping: pymalloc's 1 MiB arenas,
  blocks glibc maps on their own (128 KiB and more), SQLite's and OpenSSL's big buffers.
- ``stack``: the main thread's stack; ``other``: vdso, vvar and the like.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ARENA_KIB = 64 * 1024  # glibc's HEAP_MAX_SIZE on 64-bit
_THREAD_STACK_KIB = 8 * 1024  # the default RLIMIT_STACK pthread stack size
# A stack with its guard page, and the kernel merges the mappings of adjacent stacks.
_THREAD_STACK_SIZES_KIB = (_THREAD_STACK_KIB, _THREAD_STACK_KIB + 4)


@dataclass
class _Mapping:
    start: int
    end: int
    perms: str
    path: str
    fields: dict[str, int]

    @property
    def size_kib(self) -> int:
        return (self.end - self.start) // 1024


def _mappings(pid: int | str) -> list[_Mapping]:
    mappings: list[_Mapping] = []
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            start, end = (int(part, 16) for part in head[0].split("-"))
            path = head[5] if len(head) == 6 else ""
            mappings.append(_Mapping(start, end, head[1], path, {}))
        elif head[0].endswith(":") and len(head) >= 2 and head[1].isdigit():
            mappings[-1].fields[head[0][:-1]] = int(head[1])
    return mappings


def _classify(mappings: list[_Mapping]) -> list[tuple[str, str, _Mapping]]:
    """(class, name, mapping) for each mapping; see the module docstring."""
    classified = []
    for index, mapping in enumerate(mappings):
        after = mappings[index + 1] if index + 1 < len(mappings) else None
        if mapping.path.startswith("/"):
            classified.append(("file", Path(mapping.path).name, mapping))
        elif mapping.path == "[heap]":
            classified.append(("heap", "[heap]", mapping))
        elif mapping.path.startswith("[stack"):
            classified.append(("stack", "[stack]", mapping))
        elif mapping.path:
            classified.append(("other", mapping.path, mapping))
        elif mapping.perms.startswith("---"):
            continue  # guard pages and reservations: never resident
        elif (
            after is not None
            and after.perms.startswith("---")
            and after.start == mapping.end
            and mapping.size_kib + after.size_kib == _ARENA_KIB
        ) or mapping.size_kib == _ARENA_KIB:
            classified.append(("malloc_arenas", "", mapping))
        elif mapping.size_kib >= _THREAD_STACK_KIB and any(
            mapping.size_kib % size == 0 for size in _THREAD_STACK_SIZES_KIB
        ):
            classified.append(("thread_stacks", "", mapping))
        else:
            classified.append(("anonymous", "", mapping))
    return classified


def breakdown(pid: int | str, top_files: int = 12) -> dict[str, Any]:
    """Resident KiB of ``pid`` by class, its top files, and smaps_rollup's totals."""
    rollup: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        rollup[name] = int(value.split()[0])
    classes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    files: dict[str, int] = defaultdict(int)
    for kind, name, mapping in _classify(_mappings(pid)):
        rss = mapping.fields.get("Rss", 0)
        classes[kind] += rss
        counts[kind] += 1
        if kind == "file":
            files[name] += rss
    threads = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("Threads:")
    )
    heaviest = sorted(files.items(), key=lambda item: -item[1])[:top_files]
    return {
        "rss_kib": rollup["Rss"],
        "pss_kib": rollup["Pss"],
        "anonymous_kib": rollup["Anonymous"],
        "file_backed_kib": rollup["Rss"] - rollup["Anonymous"],
        "private_kib": rollup["Private_Clean"] + rollup["Private_Dirty"],
        "threads": threads,
        "classes_kib": dict(sorted(classes.items(), key=lambda item: -item[1])),
        "mappings": dict(counts),
        "top_files_kib": dict(heaviest),
    }
