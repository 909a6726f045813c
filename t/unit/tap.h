/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  Minimal TAP producer shared by the C unit tests (t/unit/...).
 *
 * ok() prints "ok N - name" or "not ok N - name" and counts failures;
 * is_str() and is_cstr() compare strings and print what was got and
 * wanted on a mismatch; diag() prints a "# " diagnostic line.
 * done_testing() prints the plan ("1..N") last, as TAP allows, and returns
 * the exit status: 1 when any test failed, else 0.  Header-only, so each
 * test program gets its own counters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_TAP_H
#define CHAMELEON_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_n = 0;
static int	tap_failed = 0;

/* Reports one assertion; returns cond. */
static inline int
ok(int cond, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
	return cond;
}

/* Prints a diagnostic line ("# " + message). */
static inline void
diag(const char *fmt,...)
__attribute__((format(printf, 1, 2)));

static inline void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Compares a (length-delimited) string with the expected text. */
static inline int
is_str(const char *got, size_t gotlen, const char *want, const char *name)
{
	int			same = got != NULL && gotlen == strlen(want) &&
		memcmp(got, want, gotlen) == 0;

	if (!ok(same, name))
		printf("#   got:  '%.*s'\n#   want: '%s'\n", (int) gotlen,
			   got ? got : "(null)", want);
	return same;
}

/* Compares a NUL-terminated string (NULL allowed) with the expected text. */
static inline int
is_cstr(const char *got, const char *want, const char *name)
{
	return is_str(got, got ? strlen(got) : 0, want, name);
}

/* Prints the plan; returns the exit status (1 if anything failed). */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif							/* CHAMELEON_TAP_H */
