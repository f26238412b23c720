"""The initial stack: argc, argv, envp and auxv, as the kernel lays it out.

It is built as data first (strings, then the pointer vector), then packed per
ABI word size and byte order, so 32-bit and big-endian guests need no other code.
"""


class InitialStack:
    def __init__(self, abi, top):
        self.abi = abi
        self.top = top
        self.blob = bytearray()  # grows downwards: blob[0] is at self.top - len(blob)

    def _push_bytes(self, data, align=1):
        self.blob[0:0] = data
        pad = (self.top - len(self.blob)) % align
        if pad:
            self.blob[0:0] = bytes(pad)
        return self.top - len(self.blob) + pad

    def push_string(self, s):
        return self._push_bytes(s + b"\0")

    def build(self, argv, envp, auxv, execfn, platform, random16, base_platform=None):
        """auxv: list of (AT_key, value); values "execfn"/"platform"/"base_platform"/"random" name strings.
        Returns (sp, the bytes from sp to top, auxv with those names resolved)."""
        self._push_bytes(bytes(self.abi.word_bytes))  # end marker, as the kernel leaves
        refs = {"execfn": self.push_string(execfn)}
        env_ptrs = [self.push_string(e) for e in reversed(envp)][::-1]
        arg_ptrs = [self.push_string(a) for a in reversed(argv)][::-1]
        if platform is not None:
            refs["platform"] = self.push_string(platform)
        if base_platform is not None:
            refs["base_platform"] = self.push_string(base_platform)
        refs["random"] = self._push_bytes(random16, 16)
        resolved = [(key, refs[value] if isinstance(value, str) else value) for key, value in auxv]
        resolved.append((0, 0))  # AT_NULL
        words = [len(argv)] + arg_ptrs + [0] + env_ptrs + [0]
        for pair in resolved:
            words += pair
        vector = self.abi.pack_words(words)
        # the vector must start 16-byte aligned: pad between it and the strings
        start = (self.top - len(self.blob) - len(vector)) & ~15
        self.blob[0:0] = bytes(self.top - len(self.blob) - len(vector) - start)
        self.blob[0:0] = vector
        sp = self.top - len(self.blob)
        assert sp == start
        return sp, bytes(self.blob), resolved
