"""Clocks and sleeping: clock_gettime, clock_getres, clock_nanosleep, nanosleep,
gettimeofday, times; and getrandom.

The host kernel's raw calls on host structs repacked from and to the guest's
(the guest's long is the timespec's word). Clock ids are translated by name;
negative ids (the CPU clocks of a pid or tid, clock_getcpuclockid's and
pthread_getcpuclockid's) pass unchanged, because guest pids and tids are the
host's. Sleeps release the emulator lock and report the time left on EINTR.
"""
import ctypes
import errno

from ...errors import GuestError
from ..argtypes import Enum, Flags, OutBuf, Ptr, Size, UInt
from ..registry import syscall
from .hosttypes import (HOST_LAYOUTS, PROT_WRITE, Timespec, Timeval, call, guest_address,
                      read_timespec, repack, write_timespec)

INT_MAX = (1 << 31) - 1

ClockId = Enum("TIME", "CLOCK_")
TimerFlags = Flags("TIME", "TIMER_ABSTIME")


def host_clock(t, clk):
    return t.abi.const_map("TIME", "CLOCK_").to_host(clk) if clk >= 0 else clk


@syscall(twins={"clock_gettime64": {"tsl": "timespec64"}})
def clock_gettime(t, clk: ClockId, tp: Ptr, *, tsl="timespec"):
    ts = Timespec()
    call("clock_gettime", host_clock(t, clk), ctypes.byref(ts))
    write_timespec(t, tp, ts, tsl)


@syscall(twins={"clock_getres_time64": {"tsl": "timespec64"}})
def clock_getres(t, clk: ClockId, res: Ptr, *, tsl="timespec"):
    ts = Timespec()
    call("clock_getres", host_clock(t, clk), ctypes.byref(ts) if res else None)
    if res:
        write_timespec(t, res, ts, tsl)


def _sleep(t, name, args, req, rem, relative, tsl="timespec"):
    want = read_timespec(t, req, tsl)
    if want is None:
        raise GuestError(errno.EFAULT)
    left = Timespec()
    try:
        with t.unlocked():
            call(name, *args, ctypes.byref(want), ctypes.byref(left))
    except OSError as e:
        if e.errno == errno.EINTR and rem and relative:
            write_timespec(t, rem, left, tsl)
        raise


@syscall(twins={"clock_nanosleep_time64": {"tsl": "timespec64"}})
def clock_nanosleep(t, clk: ClockId, flags: TimerFlags, req: Ptr, rem: Ptr, *, tsl="timespec"):
    relative = not flags & t.abi.host.TIME["TIMER_ABSTIME"]
    _sleep(t, "clock_nanosleep", (host_clock(t, clk), flags), req, rem, relative, tsl)


@syscall
def nanosleep(t, req: Ptr, rem: Ptr):
    _sleep(t, "nanosleep", (), req, rem, True)


@syscall
def gettimeofday(t, tv: Ptr, tz: Ptr):
    htv = Timeval()
    htz = (ctypes.c_int * 2)()
    call("gettimeofday", ctypes.byref(htv), htz)
    if tv:
        t.space.write(tv, t.layouts.timeval.pack(tv_sec=htv.tv_sec, tv_usec=htv.tv_usec))
    if tz:
        t.space.write(tz, t.layouts.timezone.pack(tz_minuteswest=htz[0], tz_dsttime=htz[1]))


@syscall
def time(t, tloc: Ptr):
    """Seconds since the epoch, also stored at tloc (x86's time, i386's, m68k's)."""
    ts = Timespec()
    # CLOCK_REALTIME_COARSE: the kernel's time() is the timekeeper's seconds
    # (ktime_get_real_seconds), which CLOCK_REALTIME runs up to a tick ahead of at a
    # second's turn; the kernel stamps IPC objects and files with the same seconds, so
    # time() before semget must not exceed the set's sem_ctime (tests/guest/sysv_ipc.c)
    call("clock_gettime", 5, ctypes.byref(ts))
    if tloc:
        t.space.write(tloc, t.abi.pack("w", ts.tv_sec))
    return ts.tv_sec


@syscall
def alarm(t, seconds: UInt):
    return call("alarm", seconds)


@syscall
def times(t, buf: Ptr):
    hlay = HOST_LAYOUTS.tms
    host = ctypes.create_string_buffer(hlay.size)
    ticks = call("times", host)  # clock ticks since boot, USER_HZ on every Linux ABI
    if buf:
        t.space.write(buf, repack(hlay, t.layouts.tms, host.raw))
    return ticks


@syscall
def getrandom(t, buf: OutBuf, count: Size, flags: Flags("PROC", "GRND_")):
    count = min(count, INT_MAX)
    addr = guest_address(t, buf, count, PROT_WRITE)
    with t.unlocked():  # blocks until the host's pool is ready (or for GRND_RANDOM)
        return call("getrandom", addr, count, flags)

