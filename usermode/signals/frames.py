"""Signal frames: what every architecture's frame is made of, and the frame of
the asm-generic ABIs (riscv64, aarch64).

Delivery (delivery.py) decides *that* a handler runs, with which saved mask,
on which stack; the cpu module's setup_frame(frame) decides *how*: it packs
its kernel's sigframe or rt_sigframe below frame.top from the pieces here
(siginfo, sigset, stack_t in the ABI's layout), writes it, and sets the
registers the handler starts with. restore_frame(thread, rt) undoes it for
sigreturn/rt_sigreturn and returns the mask to restore.
"""
from ..errors import GuestError

SIGINFO_SIZE = 128


class FrameContext:
    """Everything an arch's setup_frame needs, named."""

    def __init__(self, thread, sig, info, action, rt, top, mask, restorer, altstack, altstack_flags):
        self.thread = thread
        self.uc = thread.uc
        self.abi = thread.abi
        self.layouts = thread.layouts
        self.space = thread.space
        self.sig = sig                  # guest signal number
        self.info = info                # SigInfo
        self.action = action            # the handler's Action (handler, flags, mask, restorer)
        self.rt = rt                    # SA_SIGINFO (or an ABI with rt frames only): rt_sigframe
        self.top = top                  # the frame goes below this address
        self.mask = mask                # the blocked mask to save (restored by sigreturn)
        self.restorer = restorer        # where the handler returns: SA_RESTORER's or our trampoline
        self.altstack = altstack        # (ss_sp, ss_flags, ss_size) for uc_stack
        self.altstack_flags = altstack_flags

    def siginfo(self):
        return self.info.pack(self.abi)

    def sigset(self, mask=None):
        """A kernel sigset_t (_NSIG bits as longs, in the guest's byte order)."""
        return pack_sigset(self.abi, self.mask if mask is None else mask)

    def stack_t(self):
        ss_sp, _, ss_size = self.altstack
        return self.layouts.stack_t.pack(ss_sp=ss_sp, ss_flags=self.altstack_flags, ss_size=ss_size)

    def place(self, size, align):
        """The frame's address: below top, aligned; SIGSEGV if the stack has no room
        (the kernel's force_sigsegv: the process dies of it)."""
        at = (self.top - size) & ~(align - 1)
        if self.space.accessible(at, self.top - at, 2) < self.top - at:
            raise FrameFault()
        return at

    def write(self, address, data):
        try:
            self.space.write(address, data)
        except GuestError:
            raise FrameFault() from None


class FrameFault(Exception):
    """The frame cannot be written: the process dies of SIGSEGV, as on the kernel."""


def pack_sigset(abi, mask):
    """_NSIG bits as an array of the guest's unsigned longs."""
    wbits = abi.bits
    count = abi.nsig // wbits
    words = [(mask >> (wbits * i)) & abi.word_mask for i in range(count)]
    return abi.pack(f"{count}W", *words)


def unpack_sigset(abi, data):
    wbits = abi.bits
    count = abi.nsig // wbits
    mask = 0
    for i, word in enumerate(abi.unpack(f"{count}W", data)):
        mask |= word << (wbits * i)
    return mask


def read_frame(thread, address, size):
    """Frame bytes for sigreturn; an unreadable frame kills with SIGSEGV, as the kernel."""
    try:
        return thread.space.read(address, size)
    except GuestError:
        raise FrameFault() from None


# ---- the asm-generic frame (include/uapi/asm-generic/ucontext.h) -------------------
# rt_sigframe { siginfo info; ucontext uc; } with
# ucontext { ulong uc_flags; ucontext *uc_link; stack_t uc_stack; sigset_t uc_sigmask;
#            u8 __unused[1024 / 8 - sizeof(sigset_t)]; mcontext uc_mcontext (16-aligned) }

GENERIC_SIGMASK_AREA = 128


def generic_ucontext(frame, mcontext):
    head = frame.abi.pack("WW", 0, 0) + frame.stack_t()
    head += frame.sigset().ljust(GENERIC_SIGMASK_AREA, b"\0")
    return head + bytes(-len(head) % 16) + mcontext


def generic_mcontext_offset(abi, layouts):
    head = 2 * abi.word_bytes + layouts.stack_t.size + GENERIC_SIGMASK_AREA
    return head + (-head % 16)


def generic_restore(thread, sp, mcontext_size):
    """(mask, mcontext bytes) from the asm-generic rt_sigframe at sp."""
    abi, layouts = thread.abi, thread.layouts
    uc_at = sp + SIGINFO_SIZE
    mask_at = uc_at + 2 * abi.word_bytes + layouts.stack_t.size
    mask = unpack_sigset(abi, read_frame(thread, mask_at, abi.sigset_bytes))
    mcontext = read_frame(thread, uc_at + generic_mcontext_offset(abi, layouts), mcontext_size)
    return mask, mcontext
