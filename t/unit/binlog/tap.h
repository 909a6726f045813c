/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  Minimal TAP helpers for the binlog unit tests: ok/is_str print
 *	  "ok N - name" / "not ok N - name" and remember failures; done()
 *	  prints the plan and returns the exit status.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CBL_TAP_H
#define CBL_TAP_H

#include <stdio.h>
#include <string.h>

static int	tap_n = 0;
static int	tap_failed = 0;

/* Report one assertion. */
static inline int
ok(int cond, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
	return cond;
}

/* Compare a (length-delimited) string with the expected text. */
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

/* Print the plan; exit status 1 if anything failed. */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
