"""The two kinds of failure the emulator knows about."""


class UserError(Exception):
    """Something the user gave us is wrong: printed as one line, exit status 1 (or `status`)."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


class GuestError(Exception):
    """A syscall fails with this *host* errno; the dispatcher translates it for the guest."""

    __slots__ = ("errno",)

    def __init__(self, errno):
        self.errno = errno
