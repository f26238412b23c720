"""gdb's own signal numbers, which the remote protocol uses whatever the
target (stop replies, C/S actions, QPassSignals): the enum of gdb's
include/gdb/signals.def. Guest signals go through their names."""

# gdb numbers 1..44 in order, as signals.def has them (EMT, LOST and the
# Solaris-only ones never come from Linux but hold their places).
_NAMED = ("HUP INT QUIT ILL TRAP ABRT EMT FPE KILL BUS SEGV SYS PIPE ALRM TERM URG STOP TSTP "
          "CONT CHLD TTIN TTOU IO XCPU XFSZ VTALRM PROF WINCH LOST USR1 USR2 PWR POLL WIND PHONE "
          "WAITING LWP DANGER GRANT RETRACT MSG SOUND SAK PRIO").split()
BY_NAME = {"SIG" + name: number for number, name in enumerate(_NAMED, 1)}
BY_NAME.update(SIGIOT=BY_NAME["SIGABRT"], SIGCLD=BY_NAME["SIGCHLD"])
# Real-time signals: 33..63 are gdb 45..75, then 32 is 77 and 64 is 78.
REALTIME_33, REALTIME_32, REALTIME_64 = 45, 77, 78
UNKNOWN = 143  # GDB_SIGNAL_UNKNOWN


class SignalNumbers:
    """Both ways between one guest ABI's signal numbers and gdb's."""

    def __init__(self, abi):
        table = abi.tables.SIGNALS
        self._to_gdb = {}
        for name, number in table.items():
            if name in BY_NAME and number not in self._to_gdb:
                self._to_gdb[number] = BY_NAME[name]
        self._to_guest = {}
        for number, gdb in sorted(self._to_gdb.items(), reverse=True):
            self._to_guest[gdb] = number  # aliases: the lowest guest number wins

    def to_gdb(self, sig):
        if sig in self._to_gdb:
            return self._to_gdb[sig]
        if 33 <= sig <= 63:
            return REALTIME_33 + sig - 33
        return {32: REALTIME_32, 64: REALTIME_64}.get(sig, UNKNOWN)

    def to_guest(self, gdb):
        if gdb in self._to_guest:
            return self._to_guest[gdb]
        if REALTIME_33 <= gdb <= REALTIME_33 + 30:
            return gdb - REALTIME_33 + 33
        return {REALTIME_32: 32, REALTIME_64: 64}.get(gdb, 0)
