"""How much memory a process holds now, on Linux, Windows and macOS, with the standard library.

The readers' supervisor polls it to stop a worker that grows past its limit where the system
keeps no address-space limit for it (Windows, macOS: no RLIMIT_AS). ``None`` when it cannot be
told: the time limit still holds then.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable


def _linux(pid: int) -> int | None:
    with open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _windows_reader() -> Callable[[int], int | None]:
    from ctypes import wintypes

    class Counters(ctypes.Structure):  # PROCESS_MEMORY_COUNTERS
        _fields_ = [
            ("cb", wintypes.DWORD),
            ("PageFaultCount", wintypes.DWORD),
            ("PeakWorkingSetSize", ctypes.c_size_t),
            ("WorkingSetSize", ctypes.c_size_t),
            ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
            ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
            ("PagefileUsage", ctypes.c_size_t),
            ("PeakPagefileUsage", ctypes.c_size_t),
        ]

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]  # Windows only
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.K32GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.c_void_p, wintypes.DWORD]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    access = 0x1000 | 0x0010  # PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ

    def read(pid: int) -> int | None:
        handle = kernel32.OpenProcess(access, False, pid)
        if not handle:
            return None
        try:
            counters = Counters()
            counters.cb = ctypes.sizeof(counters)
            if not kernel32.K32GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
                return None
            # memory in use, or committed to it (a working set the system trimmed still counts)
            return int(max(counters.WorkingSetSize, counters.PagefileUsage))
        finally:
            kernel32.CloseHandle(handle)

    return read


def _macos_reader() -> Callable[[int], int | None]:
    class TaskInfo(ctypes.Structure):  # struct proc_taskinfo, <sys/proc_info.h>
        _fields_ = [
            ("pti_virtual_size", ctypes.c_uint64),
            ("pti_resident_size", ctypes.c_uint64),
            ("pti_total_user", ctypes.c_uint64),
            ("pti_total_system", ctypes.c_uint64),
            ("pti_threads_user", ctypes.c_uint64),
            ("pti_threads_system", ctypes.c_uint64),
            *((name, ctypes.c_int32) for name in ("policy", "faults", "pageins", "cow", "sent", "received")),
            *((name, ctypes.c_int32) for name in ("mach", "unix", "csw", "threads", "running", "priority")),
        ]

    try:
        library = ctypes.CDLL("/usr/lib/libproc.dylib")
    except OSError:
        library = ctypes.CDLL(None)  # libSystem, loaded in every process, exports it too
    info = library.proc_pidinfo
    info.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_int]
    info.restype = ctypes.c_int

    def read(pid: int) -> int | None:
        task = TaskInfo()
        if info(pid, 4, 0, ctypes.byref(task), ctypes.sizeof(task)) != ctypes.sizeof(
            task
        ):  # PROC_PIDTASKINFO
            return None
        return int(task.pti_resident_size)

    return read


def _reader() -> Callable[[int], int | None] | None:
    try:
        if sys.platform.startswith("linux"):
            return _linux
        if sys.platform == "win32":
            return _windows_reader()
        if sys.platform == "darwin":
            return _macos_reader()
    except (OSError, AttributeError):
        pass
    return None


_READ = _reader()


def resident(pid: int) -> int | None:
    """The bytes process ``pid`` holds in memory now; ``None`` when that cannot be told."""
    if _READ is None:
        return None
    try:
        return _READ(pid)
    except (OSError, ValueError, IndexError):
        return None
