"""A host siginfo_t as the guest's: which member of the union the host filled,
by the name of its si_code, and every number in it put in the guest's terms.

si_code values are read by name on both sides (the generated SIGNAL_FLAGS
tables), never assumed equal; a signal number inside (si_status of a child
killed or stopped by a signal) becomes the guest's.
"""
from . import numbers
from .delivery import SigInfo

_RT_CODES = ("SI_QUEUE", "SI_MESGQ", "SI_ASYNCIO")
_KILL_CODES = ("SI_USER", "SI_TKILL")
_CHLD_BY_SIGNAL = ("CLD_KILLED", "CLD_DUMPED", "CLD_STOPPED", "CLD_TRAPPED")
_CHLD_CODES = ("CLD_EXITED", "CLD_CONTINUED") + _CHLD_BY_SIGNAL


def _host():
    from ..syscalls.handlers.hostcall import HOST_ABI, HOST_LAYOUTS
    return HOST_ABI, HOST_LAYOUTS


def to_guest(abi, raw):
    """(guest signal, SigInfo) for a host siginfo_t (bytes), or None for a host signal
    the guest has no number for."""
    host_abi, layouts = _host()
    head = layouts.siginfo_kill.unpack(raw)
    guest = numbers.to_guest(abi, head["si_signo"])
    if guest is None:
        return None
    hflags, gflags = host_abi.tables.SIGNAL_FLAGS, abi.tables.SIGNAL_FLAGS
    code = head["si_code"]

    def named(names):
        for name in names:
            if name in hflags and hflags[name] == code:
                return name
        return None

    def guest_code(name):
        return gflags.get(name, code)

    if head["si_signo"] == host_abi.tables.SIGNALS["SIGCHLD"] and named(_CHLD_CODES):
        name = named(_CHLD_CODES)
        f = layouts.siginfo_chld.unpack(raw)
        status = f["si_status"]
        if name in _CHLD_BY_SIGNAL:
            status = numbers.to_guest(abi, status) or status
        return guest, SigInfo(guest, guest_code(name), pid=f["si_pid"], uid=f["si_uid"], status=status)
    if named(("SI_TIMER",)):
        f = layouts.siginfo_timer.unpack(raw)
        return guest, SigInfo(guest, guest_code("SI_TIMER"), tid=f["si_timerid"], overrun=f["si_overrun"],
                              value=f["si_value"])
    if named(_RT_CODES):
        f = layouts.siginfo_rt.unpack(raw)
        return guest, SigInfo(guest, guest_code(named(_RT_CODES)), pid=f["si_pid"], uid=f["si_uid"],
                              value=f["si_value"])
    if named(_KILL_CODES) or code < 0:
        return guest, SigInfo(guest, guest_code(named(_KILL_CODES)) if named(_KILL_CODES) else code,
                              pid=head["si_pid"], uid=head["si_uid"])
    if 0 < code <= 6 and head["si_signo"] != host_abi.tables.SIGNALS["SIGCHLD"]:
        # POLL_IN ... POLL_HUP: SIGIO, or the signal F_SETSIG chose, for a descriptor
        f = layouts.siginfo_poll.unpack(raw)
        return guest, SigInfo(guest, code, band=f["si_band"], fd=f["si_fd"])
    # the kernel's own (SI_KERNEL, a fault's): only the code travels
    kernel = gflags["SI_KERNEL"] if code == hflags["SI_KERNEL"] else code
    return guest, SigInfo(guest, kernel)
