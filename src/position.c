/*-------------------------------------------------------------------------
 *
 * position.c
 *	  The order of binlog coordinates.  MySQL names binlog files
 *	  <base>.<sequence number>, zero-padded to six digits until the number
 *	  outgrows them (mysql-bin.999999 is followed by mysql-bin.1000000), so
 *	  comparing names as text goes wrong exactly once in a server's life,
 *	  and then silently.  The suffix is compared as a number instead.
 *
 *	  chameleon._binlog_pos_cmp() gives the catalogue's SQL the same order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "position.h"

PG_FUNCTION_INFO_V1(chameleon_sql_binlog_pos_cmp);

/* Splits a file name into its base length and numeric suffix (false: none). */
static bool
split_name(const char *name, size_t *baselen, const char **digits)
{
	const char *dot = strrchr(name, '.');
	const char *p;

	if (dot == NULL || dot[1] == '\0')
		return false;
	for (p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*baselen = dot - name;
	*digits = dot + 1;
	return true;
}

/* Compares two strings of decimal digits as numbers, without overflow. */
static int
digits_cmp(const char *a, const char *b)
{
	size_t		la;
	size_t		lb;

	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* See position.h. */
int
chameleon_binlog_pos_cmp(const char *file_a, int64 pos_a, const char *file_b, int64 pos_b)
{
	size_t		base_a;
	size_t		base_b;
	const char *num_a;
	const char *num_b;
	int			c;

	if (file_a == NULL || file_b == NULL)
		c = (file_a != NULL) - (file_b != NULL);
	else if (split_name(file_a, &base_a, &num_a) && split_name(file_b, &base_b, &num_b) &&
			 base_a == base_b && memcmp(file_a, file_b, base_a) == 0)
		c = digits_cmp(num_a, num_b);
	else
		c = strcmp(file_a, file_b);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (pos_a > pos_b) - (pos_a < pos_b);
}

/*
 * chameleon._binlog_pos_cmp(file_a, pos_a, file_b, pos_b) returns integer:
 * -1, 0 or 1.  NULL positions count as 0.
 */
Datum
chameleon_sql_binlog_pos_cmp(PG_FUNCTION_ARGS)
{
	char	   *fa = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		pa = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	char	   *fb = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	int64		pb = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT64(3);

	PG_RETURN_INT32(chameleon_binlog_pos_cmp(fa, pa, fb, pb));
}
