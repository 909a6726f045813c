/*-------------------------------------------------------------------------
 *
 * decimal.c
 *	  MySQL packed binary DECIMAL (NEWDECIMAL) to exact decimal text.
 *
 * The format stores groups of nine decimal digits in four big-endian
 * bytes, with shorter leading/trailing groups using 1-4 bytes; the sign is
 * the inverted top bit, and negative numbers have every byte inverted.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

/* bytes needed for 0..9 leftover digits */
static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
static const uint32_t dec_pow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000,
10000000, 100000000, 1000000000};

/* Length of a packed DECIMAL(precision, scale), or -1 if impossible. */
int
cbl_decimal_bin_size(int precision, int scale)
{
	int			intg = precision - scale;

	if (precision < 1 || precision > 65 || scale < 0 || scale > 38 || intg < 0)
		return -1;
	return (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 +
		dig2bytes[scale % 9];
}

/* Append ndig digits of v, zero padded. */
static void
put_digits(char *dst, int *pos, uint32_t v, int ndig)
{
	for (int i = ndig - 1; i >= 0; i--)
	{
		dst[*pos + i] = (char) ('0' + v % 10);
		v /= 10;
	}
	*pos += ndig;
}

/* Append a packed DECIMAL as exact text ("-12.340", "0.00"). */
int
cbl_decimal_to_text(const uint8_t *p, size_t len, int precision, int scale,
					cbl_buf *out)
{
	uint8_t		b[40];
	int			size = cbl_decimal_bin_size(precision, scale);
	int			intg = precision - scale;
	int			intg0 = intg / 9,
				intg0x = intg % 9;
	int			frac0 = scale / 9,
				frac0x = scale % 9;
	uint8_t		mask;
	int			o = 0;
	char		digits[80];
	int			nd = 0;
	int			intdigits;
	int			first;
	bool		allzero = true;

	if (size < 0 || (size_t) size > len || (size_t) size > sizeof(b))
		return -1;
	memcpy(b, p, (size_t) size);
	mask = (b[0] & 0x80) ? 0 : 0xff;
	b[0] ^= 0x80;
	for (int i = 0; i < size; i++)
		b[i] ^= mask;

	if (intg0x)
	{
		uint32_t	v = (uint32_t) cbl_beN(b, dig2bytes[intg0x]);

		if (v >= dec_pow10[intg0x])
			return -1;
		o += dig2bytes[intg0x];
		put_digits(digits, &nd, v, intg0x);
	}
	for (int i = 0; i < intg0; i++)
	{
		uint32_t	v = (uint32_t) cbl_beN(b + o, 4);

		if (v >= 1000000000u)
			return -1;
		o += 4;
		put_digits(digits, &nd, v, 9);
	}
	intdigits = nd;
	for (int i = 0; i < frac0; i++)
	{
		uint32_t	v = (uint32_t) cbl_beN(b + o, 4);

		if (v >= 1000000000u)
			return -1;
		o += 4;
		put_digits(digits, &nd, v, 9);
	}
	if (frac0x)
	{
		uint32_t	v = (uint32_t) cbl_beN(b + o, dig2bytes[frac0x]);

		if (v >= dec_pow10[frac0x])
			return -1;
		put_digits(digits, &nd, v, frac0x);
	}
	for (int i = 0; i < nd; i++)
		if (digits[i] != '0')
			allzero = false;

	if (mask && !allzero)
		cbl_buf_putc(out, '-');
	first = 0;
	while (first < intdigits - 1 && digits[first] == '0')
		first++;
	if (intdigits == 0)
		cbl_buf_putc(out, '0');
	else
		cbl_buf_append(out, digits + first, (size_t) (intdigits - first));
	if (scale > 0)
	{
		cbl_buf_putc(out, '.');
		cbl_buf_append(out, digits + intdigits, (size_t) (nd - intdigits));
	}
	return 0;
}
