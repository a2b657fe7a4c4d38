/*
 * exp, log, log2 and pow bound to the symbol versions glibc had before 2.29.
 *
 * glibc 2.29 gave these four functions new default versions (exp@@GLIBC_2.29 and so on), so a program linked
 * against glibc 2.29 or later (Debian 11 has 2.31) needs at least 2.29 to start, although everything else it
 * uses is older. SQLite's math functions and the runtime's Math.Pow call them. The link wraps every reference
 * (-Wl,--wrap=pow makes pow resolve to __wrap_pow) and the wrappers call the older versions, which glibc keeps
 * for compatibility and which compute the same results, so the executable runs on glibc 2.28 (RHEL 8).
 * native/NativeLink.targets compiles this file and adds the flags when linking against a Debian 11 root.
 */
#if defined(__x86_64__)
#define GLIBC_BEFORE_2_29 "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define GLIBC_BEFORE_2_29 "GLIBC_2.17"
#else
#error "glibc-compat.c knows the base symbol version of x86_64 and aarch64 only"
#endif

double glibc_exp(double x);
double glibc_log(double x);
double glibc_log2(double x);
double glibc_pow(double x, double y);

__asm__(".symver glibc_exp, exp@" GLIBC_BEFORE_2_29);
__asm__(".symver glibc_log, log@" GLIBC_BEFORE_2_29);
__asm__(".symver glibc_log2, log2@" GLIBC_BEFORE_2_29);
__asm__(".symver glibc_pow, pow@" GLIBC_BEFORE_2_29);

double __wrap_exp(double x) { return glibc_exp(x); }
double __wrap_log(double x) { return glibc_log(x); }
double __wrap_log2(double x) { return glibc_log2(x); }
double __wrap_pow(double x, double y) { return glibc_pow(x, y); }
