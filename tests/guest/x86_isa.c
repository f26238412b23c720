/* Every instruction family the CPU's CPUID admits, executed: one line of results
 * each ("<family>: <values>"), or "<family>: absent". tests/test_x86.py runs it
 * under pyqemu and natively (this host has them all) and compares the lines of
 * the families pyqemu admits: CPUID must never admit what Unicorn gets wrong. */
#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned c1, d1, b7, c81;

static int has(const char *name)
{
    static const struct { const char *name; unsigned *word; unsigned bit; } bits[] = {
        {"sse3", &c1, 0}, {"pclmulqdq", &c1, 1}, {"ssse3", &c1, 9}, {"cx16", &c1, 13},
        {"sse4.1", &c1, 19}, {"sse4.2", &c1, 20}, {"movbe", &c1, 22}, {"popcnt", &c1, 23},
        {"aes", &c1, 25}, {"xsave", &c1, 26}, {"rdrand", &c1, 30}, {"cmov", &d1, 15},
        {"sse2", &d1, 26}, {"bmi1", &b7, 3}, {"bmi2", &b7, 8}, {"adx", &b7, 19}, {"fsgsbase", &b7, 0},
        {"lzcnt", &c81, 5}, {"avx2", &b7, 5},
    };
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (!strcmp(bits[i].name, name))
            return (*bits[i].word >> bits[i].bit) & 1;
    return 0;
}

/* the two 64-bit halves of a vector, in 32-bit programs too */
#define HALF(v, i) ({ uint64_t h_[2]; _mm_storeu_si128((__m128i *)h_, (v)); (unsigned long long)h_[i]; })

static volatile uint64_t in[4] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x00ff00ff00ff00ffULL,
                                  0x8000000000000001ULL};

__attribute__((target("sse2,sse3"))) static void t_sse3(void)
{
    __m128d a = _mm_set_pd(1.5, 2.25), b = _mm_set_pd(-3.0, 8.0);
    __m128d h = _mm_hadd_pd(a, b);
    double out[2];
    _mm_storeu_pd(out, h);
    printf("sse3: %g %g\n", out[0], out[1]);
}

__attribute__((target("sse2,ssse3"))) static void t_ssse3(void)
{
    __m128i v = _mm_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m128i m = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, -1, 9, 10, 11, 12, 13, 14, 15);
    __m128i r = _mm_shuffle_epi8(v, m);
    __m128i a = _mm_abs_epi16(_mm_set_epi16(-7, 3, -32768, 5, -1, 0, 9, -2));
    printf("ssse3: %016llx %016llx %016llx\n", HALF(r, 0),
           HALF(r, 1), HALF(a, 0));
}

__attribute__((target("sse2,sse4.1"))) static void t_sse41(void)
{
    __m128i a = _mm_set_epi32(-5, 7, 100, -100), b = _mm_set_epi32(3, -9, 50, 0);
    __m128i mn = _mm_min_epi32(a, b), ml = _mm_mullo_epi32(a, b);
    __m128i bl = _mm_blendv_epi8(a, b, _mm_set_epi32(0, -1, 0, -1));
    __m128d r = _mm_round_pd(_mm_set_pd(2.5, -1.5), _MM_FROUND_TO_NEAREST_INT);
    double rd[2];
    _mm_storeu_pd(rd, r);
    printf("sse4.1: %d %d %d %d %d %d %g %g %d\n", _mm_extract_epi32(mn, 0), _mm_extract_epi32(mn, 3),
           _mm_extract_epi32(ml, 1), _mm_extract_epi32(ml, 2), _mm_extract_epi32(bl, 0), _mm_extract_epi32(bl, 1),
           rd[0], rd[1], _mm_testz_si128(a, b));
}

__attribute__((target("sse2,sse4.2"))) static void t_sse42(void)
{
    __m128i hay = _mm_loadu_si128((const __m128i *)"hello, world!!!!");
    __m128i set = _mm_loadu_si128((const __m128i *)",!o\0\0\0\0\0\0\0\0\0\0\0\0\0");
    int i = _mm_cmpistri(set, hay, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY);
    unsigned c = _mm_crc32_u8(0, 'a');
    c = _mm_crc32_u32(c, 0xdeadbeef);
    __m128i gt = _mm_cmpgt_epi64(_mm_set_epi64x(5, -1), _mm_set_epi64x(3, 2));
    printf("sse4.2: %d %08x %lld\n", i, c, (long long)HALF(gt, 0));
}

__attribute__((target("popcnt"))) static void t_popcnt(void)
{
    printf("popcnt: %d %d\n", __builtin_popcount((unsigned)in[0]), __builtin_popcountll(in[1]));
}

__attribute__((target("pclmul,sse2"))) static void t_pclmul(void)
{
    __m128i a = _mm_set_epi64x(0, (long long)in[0]), b = _mm_set_epi64x(0, (long long)in[2]);
    __m128i r = _mm_clmulepi64_si128(a, b, 0);
    printf("pclmulqdq: %016llx %016llx\n", HALF(r, 0),
           HALF(r, 1));
}

__attribute__((target("aes,sse2"))) static void t_aes(void)
{
    __m128i s = _mm_set_epi64x((long long)in[0], (long long)in[1]), k = _mm_set_epi64x((long long)in[2], 7);
    __m128i e = _mm_aesenc_si128(s, k), d = _mm_aesdeclast_si128(e, k), g = _mm_aeskeygenassist_si128(k, 1);
    printf("aes: %016llx %016llx %016llx\n", HALF(e, 0),
           HALF(d, 0), HALF(g, 0));
}

__attribute__((target("movbe"))) static void t_movbe(void)
{
    unsigned x = 0x11223344, y;
    __asm__ volatile("movbe %1, %0" : "=r"(y) : "m"(x));
    printf("movbe: %08x\n", y);
}

__attribute__((target("lzcnt"))) static void t_lzcnt(void)
{
    printf("lzcnt: %u %u\n", _lzcnt_u32((unsigned)in[2] >> 9), _lzcnt_u32(0));
}

__attribute__((target("bmi"))) static void t_bmi1(void)
{
    unsigned a = (unsigned)in[0], b = (unsigned)in[2];
    printf("bmi1: %08x %u %u %08x %08x\n", _andn_u32(a, b), _tzcnt_u32(a), _tzcnt_u32(0), _blsr_u32(a),
           _bextr_u32(a, 4, 12));
}

__attribute__((target("bmi2"))) static void t_bmi2(void)
{
    unsigned a = (unsigned)in[0], m = (unsigned)in[2];
    unsigned hi, lo;
    __asm__("mulx %3, %0, %1" : "=r"(lo), "=r"(hi) : "d"(a), "r"(0x9e3779b9u));
    printf("bmi2: %08x %08x %08x %08x %08x\n", _pdep_u32(a, m), _pext_u32(a, m), _bzhi_u32(a, 7), lo, hi);
}

__attribute__((target("adx"))) static void t_adx(void)
{
    unsigned s1, s2;
    unsigned char c = _addcarryx_u32(1, 0xffffffffu, 5, &s1);
    c = _addcarryx_u32(c, 0x7fffffffu, 0x7fffffffu, &s2);
    printf("adx: %08x %08x %d\n", s1, s2, c);
}

static void t_cmov(void)
{
    unsigned a = 5, b = 9, r;
    __asm__("cmp %2, %1\n\tmov %1, %0\n\tcmovb %2, %0" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    printf("cmov: %u\n", r);
}

__attribute__((target("sse2"))) static void t_sse2(void)
{
    __m128i a = _mm_set_epi16(1, 2, 3, 4, 5, 6, 7, 8), b = _mm_set1_epi16(1000);
    __m128i m = _mm_madd_epi16(a, b);
    __m128d d = _mm_sqrt_pd(_mm_set_pd(2.0, 9.0));
    double out[2];
    _mm_storeu_pd(out, d);
    printf("sse2: %d %.17g %.17g\n", _mm_cvtsi128_si32(m), out[0], out[1]);
}

#ifdef __x86_64__
__attribute__((target("cx16"))) static void t_cx16(void)
{
    static __int128 v __attribute__((aligned(16))) = 5;
    int ok = __sync_bool_compare_and_swap(&v, (__int128)5, ((__int128)7 << 64) | 9);
    printf("cx16: %d %llx %llx\n", ok, (unsigned long long)(v >> 64), (unsigned long long)v);
}

__attribute__((target("fsgsbase"))) static void t_fsgsbase(void)
{
    unsigned long fs = _readfsbase_u64(), self;
    __asm__("mov %%fs:0, %0" : "=r"(self));  /* glibc's TCB points to itself */
    printf("fsgsbase: %d\n", fs == self);
}
#endif

static void t_rdrand(void)
{
    unsigned v;
    unsigned char ok = 0;
    for (int tries = 0; !ok && tries < 100; tries++)
        __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
    printf("rdrand: %d\n", ok);
}

static void t_xsave(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    printf("xsave: xcr0 has x87 and sse %d\n", (lo & 3) == 3);
}

int main(void)
{
    unsigned a, b, c, d;
    __cpuid(1, a, b, c1, d1);
    __cpuid_count(7, 0, a, b7, c, d);
    __cpuid(0x80000001, a, b, c81, d);
    static const struct { const char *name; void (*fn)(void); } tests[] = {
        {"cmov", t_cmov}, {"sse2", t_sse2}, {"sse3", t_sse3}, {"ssse3", t_ssse3}, {"sse4.1", t_sse41},
        {"sse4.2", t_sse42}, {"popcnt", t_popcnt}, {"pclmulqdq", t_pclmul}, {"aes", t_aes}, {"movbe", t_movbe},
        {"lzcnt", t_lzcnt}, {"bmi1", t_bmi1}, {"bmi2", t_bmi2}, {"adx", t_adx}, {"rdrand", t_rdrand},
        {"xsave", t_xsave},
#ifdef __x86_64__
        {"cx16", t_cx16}, {"fsgsbase", t_fsgsbase},
#endif
    };
    for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (has(tests[i].name))
            tests[i].fn();
        else
            printf("%s: absent\n", tests[i].name);
        fflush(stdout);
    }
    printf("avx2: %s\n", has("avx2") ? "admitted" : "absent");
    return 0;
}
