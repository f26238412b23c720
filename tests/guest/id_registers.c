/* aarch64: the ID registers as a process reads them (MRS, emulated by the kernel
 * when HWCAP_CPUID says so), and AT_HWCAP/AT_HWCAP2, one per line in hex. */
#include <stdio.h>
#include <sys/auxv.h>

#define READ(name, reg) do { unsigned long v_; __asm__ volatile("mrs %0, " reg : "=r"(v_)); \
                             printf("%s %lx\n", name, v_); } while (0)

int main(void)
{
    unsigned long hwcap = getauxval(AT_HWCAP);
    printf("AT_HWCAP %lx\nAT_HWCAP2 %lx\n", hwcap, getauxval(AT_HWCAP2));
    if (!(hwcap & (1 << 11)))  /* HWCAP_CPUID */
        return 1;
    READ("MIDR_EL1", "midr_el1");
    READ("MPIDR_EL1", "mpidr_el1");
    READ("REVIDR_EL1", "revidr_el1");
    READ("ID_AA64PFR0_EL1", "id_aa64pfr0_el1");
    READ("ID_AA64PFR1_EL1", "id_aa64pfr1_el1");
    READ("ID_AA64ZFR0_EL1", "S3_0_C0_C4_4");
    READ("ID_AA64DFR0_EL1", "id_aa64dfr0_el1");
    READ("ID_AA64DFR1_EL1", "id_aa64dfr1_el1");
    READ("ID_AA64AFR0_EL1", "id_aa64afr0_el1");
    READ("ID_AA64ISAR0_EL1", "id_aa64isar0_el1");
    READ("ID_AA64ISAR1_EL1", "id_aa64isar1_el1");
    READ("ID_AA64ISAR2_EL1", "S3_0_C0_C6_2");
    READ("ID_AA64MMFR0_EL1", "id_aa64mmfr0_el1");
    READ("ID_AA64MMFR1_EL1", "id_aa64mmfr1_el1");
    READ("ID_AA64MMFR2_EL1", "S3_0_C0_C7_2");
    READ("reserved (3, 0, c0, c7, 7)", "S3_0_C0_C7_7");
    return 0;
}
