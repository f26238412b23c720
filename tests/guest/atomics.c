/* Guest atomics run by several Unicorn instances at once on shared memory
   (tests/core_atomics.py). Freestanding: one leaf function, no data of its own. */
struct shared {
    long add;      /* fetch-and-add: riscv amoadd.d, aarch64 ldadd or ldxr/stxr */
    long cas;      /* compare-and-swap loop: riscv lr.d/sc.d, aarch64 cas or ldxr/stxr */
    long locked;   /* a plain increment under a spin lock taken by exchange (amoswap, swp) */
    int lock;
    int pad;
    long ticket;   /* fetch-and-add, whose result goes to ... */
    long max;      /* ... an atomic maximum (amomax.d, ldsmax) where the ISA has one */
};

static inline void atomic_max(long *p, long v)
{
#if defined(__riscv)
    __asm__ volatile("amomax.d zero, %1, %0" : "+A"(*p) : "r"(v) : "memory");
#elif defined(__aarch64__) && defined(__ARM_FEATURE_ATOMICS)
    __asm__ volatile("stsmax %1, %0" : "+Q"(*p) : "r"(v) : "memory");
#else
    long old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
#endif
}

void hammer(struct shared *s, long n)
{
    for (long i = 0; i < n; i++) {
        __atomic_fetch_add(&s->add, 1, __ATOMIC_RELAXED);
        long old = __atomic_load_n(&s->cas, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&s->cas, &old, old + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
            ;
        s->locked++;
        __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
        atomic_max(&s->max, __atomic_fetch_add(&s->ticket, 1, __ATOMIC_RELAXED));
    }
}
