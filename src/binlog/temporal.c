/*-------------------------------------------------------------------------
 *
 * temporal.c
 *	  Text forms of DATE, DATETIME, TIMESTAMP and TIME values as PostgreSQL
 *	  reads them: ISO dates, "+00" for TIMESTAMP instants (an exact UTC
 *	  instant, whatever the server's time zone), hours beyond 24 and a sign
 *	  for TIME, and exactly fsp fractional digits.
 *
 * Calendar conversion is done with integer arithmetic (no gmtime: it is
 * not thread-safe everywhere and the library keeps no global state).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

/* Proleptic Gregorian date of a day count since 1970-01-01. */
void
cbl_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

/* Append v zero-padded to at least w digits. */
static void
put_num(cbl_buf *out, uint64_t v, int w)
{
	char		tmp[24];
	int			i = (int) sizeof(tmp);

	do
	{
		tmp[--i] = (char) ('0' + v % 10);
		v /= 10;
		w--;
	} while (v || w > 0);
	cbl_buf_append(out, tmp + i, sizeof(tmp) - (size_t) i);
}

/* Append ".ffffff" with fsp digits (6 if fsp is 0 but usec is not). */
static void
put_frac(cbl_buf *out, uint32_t usec, int fsp)
{
	static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};

	if (fsp == 0 && usec == 0)
		return;
	if (fsp == 0 || fsp > 6)
		fsp = 6;
	cbl_buf_putc(out, '.');
	put_num(out, (usec % 1000000) / div[fsp], fsp);
}

/* Append "YYYY-MM-DD". */
static void
put_date(cbl_buf *out, unsigned y, unsigned m, unsigned d)
{
	put_num(out, y, 4);
	cbl_buf_putc(out, '-');
	put_num(out, m, 2);
	cbl_buf_putc(out, '-');
	put_num(out, d, 2);
}

/* Append "HH:MM:SS". */
static void
put_hms(cbl_buf *out, unsigned h, unsigned mi, unsigned s)
{
	put_num(out, h, 2);
	cbl_buf_putc(out, ':');
	put_num(out, mi, 2);
	cbl_buf_putc(out, ':');
	put_num(out, s, 2);
}

/* Append the PostgreSQL text of a DATE/DATETIME/TIMESTAMP/TIME value. */
void
cbl_format_temporal(const cbl_value *v, cbl_buf *out)
{
	const cbl_temporal *t = &v->v.t;

	switch (v->kind)
	{
		case CBL_V_DATE:
			put_date(out, t->year, t->month, t->day);
			break;
		case CBL_V_DATETIME:
			put_date(out, t->year, t->month, t->day);
			cbl_buf_putc(out, ' ');
			put_hms(out, t->hour, t->minute, t->second);
			put_frac(out, t->usec, v->fsp);
			break;
		case CBL_V_TIMESTAMP:
			{
				int64_t		days = t->epoch / 86400;
				int64_t		secs = t->epoch % 86400;
				int			y;
				unsigned	m,
							d;

				if (secs < 0)
				{
					secs += 86400;
					days--;
				}
				cbl_civil_from_days(days, &y, &m, &d);
				put_date(out, (unsigned) y, m, d);
				cbl_buf_putc(out, ' ');
				put_hms(out, (unsigned) (secs / 3600), (unsigned) (secs / 60 % 60),
						(unsigned) (secs % 60));
				put_frac(out, t->usec, v->fsp);
				cbl_buf_puts(out, "+00");
			}
			break;
		case CBL_V_TIME:
			if (t->neg)
				cbl_buf_putc(out, '-');
			put_hms(out, t->hour, t->minute, t->second);
			put_frac(out, t->usec, v->fsp);
			break;
		default:
			break;
	}
}
