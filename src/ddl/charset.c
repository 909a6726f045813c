/*-------------------------------------------------------------------------
 *
 * charset.c
 *	  MySQL/MariaDB character sets and collations: names, aliases, default
 *	  collations, bytes per character and collation numbers.
 *
 * The charset table is information_schema.CHARACTER_SETS of MariaDB 10.11
 * (name, DEFAULT_COLLATE_NAME, MAXLEN) plus MySQL 8.0's gb18030; the
 * only default that differs between the two servers is utf8mb4's
 * (utf8mb4_general_ci on MariaDB 10.11, utf8mb4_0900_ai_ci on MySQL 8.0).
 * Collation numbers are in collation_data.c.  Names compare without regard
 * to ASCII case, as the servers do; "utf8" means utf8mb3 (MariaDB 10.6+
 * with the default old_mode, and MySQL 8.0).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

typedef struct charset_row
{
	const char *name;
	int			maxlen;
	const char *mariadb_default;
	const char *mysql_default;	/* NULL: the same as MariaDB's */
} charset_row;

static const charset_row charsets[] = {
	{"armscii8", 1, "armscii8_general_ci", NULL},
	{"ascii", 1, "ascii_general_ci", NULL},
	{"big5", 2, "big5_chinese_ci", NULL},
	{"binary", 1, "binary", NULL},
	{"cp1250", 1, "cp1250_general_ci", NULL},
	{"cp1251", 1, "cp1251_general_ci", NULL},
	{"cp1256", 1, "cp1256_general_ci", NULL},
	{"cp1257", 1, "cp1257_general_ci", NULL},
	{"cp850", 1, "cp850_general_ci", NULL},
	{"cp852", 1, "cp852_general_ci", NULL},
	{"cp866", 1, "cp866_general_ci", NULL},
	{"cp932", 2, "cp932_japanese_ci", NULL},
	{"dec8", 1, "dec8_swedish_ci", NULL},
	{"eucjpms", 3, "eucjpms_japanese_ci", NULL},
	{"euckr", 2, "euckr_korean_ci", NULL},
	{"gb18030", 4, "gb18030_chinese_ci", NULL},
	{"gb2312", 2, "gb2312_chinese_ci", NULL},
	{"gbk", 2, "gbk_chinese_ci", NULL},
	{"geostd8", 1, "geostd8_general_ci", NULL},
	{"greek", 1, "greek_general_ci", NULL},
	{"hebrew", 1, "hebrew_general_ci", NULL},
	{"hp8", 1, "hp8_english_ci", NULL},
	{"keybcs2", 1, "keybcs2_general_ci", NULL},
	{"koi8r", 1, "koi8r_general_ci", NULL},
	{"koi8u", 1, "koi8u_general_ci", NULL},
	{"latin1", 1, "latin1_swedish_ci", NULL},
	{"latin2", 1, "latin2_general_ci", NULL},
	{"latin5", 1, "latin5_turkish_ci", NULL},
	{"latin7", 1, "latin7_general_ci", NULL},
	{"macce", 1, "macce_general_ci", NULL},
	{"macroman", 1, "macroman_general_ci", NULL},
	{"sjis", 2, "sjis_japanese_ci", NULL},
	{"swe7", 1, "swe7_swedish_ci", NULL},
	{"tis620", 1, "tis620_thai_ci", NULL},
	{"ucs2", 2, "ucs2_general_ci", NULL},
	{"ujis", 3, "ujis_japanese_ci", NULL},
	{"utf16", 4, "utf16_general_ci", NULL},
	{"utf16le", 4, "utf16le_general_ci", NULL},
	{"utf32", 4, "utf32_general_ci", NULL},
	{"utf8mb3", 3, "utf8mb3_general_ci", NULL},
	{"utf8mb4", 4, "utf8mb4_general_ci", "utf8mb4_0900_ai_ci"},
};

#define NCHARSETS (sizeof(charsets) / sizeof(charsets[0]))

/* ASCII case-insensitive equality of two NUL-terminated names. */
bool
cddl_name_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (;; a++, b++)
	{
		unsigned char ca = (unsigned char) *a;
		unsigned char cb = (unsigned char) *b;

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/* The row of a charset name (aliases resolved), or NULL. */
static const charset_row *
find_charset(const char *name)
{
	size_t		i;

	if (name == NULL)
		return NULL;
	if (cddl_name_eq(name, "utf8"))
		name = "utf8mb3";
	for (i = 0; i < NCHARSETS; i++)
	{
		if (cddl_name_eq(name, charsets[i].name))
			return &charsets[i];
	}
	return NULL;
}

/* The canonical (lower-case, alias-resolved) name of a charset, or NULL. */
const char *
cddl_charset_canonical(const char *name)
{
	const charset_row *c = find_charset(name);

	return c ? c->name : NULL;
}

/* Bytes per character at most, 0 when unknown. */
int
cddl_charset_maxlen(const char *charset)
{
	const charset_row *c = find_charset(charset);

	return c ? c->maxlen : 0;
}

/* The default collation of a charset for a flavour, or NULL. */
const char *
cddl_charset_default_collation(const char *charset, cddl_flavour flavour)
{
	const charset_row *c = find_charset(charset);

	if (c == NULL)
		return NULL;
	if (flavour == CDDL_MYSQL && c->mysql_default != NULL)
		return c->mysql_default;
	return c->mariadb_default;
}

/* Looks name up (exactly, case-insensitively) in one collation list. */
static const cddl_collation_row *
find_in(const cddl_collation_row *rows, size_t n, const char *name)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (cddl_name_eq(name, rows[i].name))
			return &rows[i];
	}
	return NULL;
}

/*
 * The row of a full collation name for a flavour, or NULL.  "utf8_..."
 * means "utf8mb3_...".  MySQL's own names are looked up first for MySQL,
 * last for MariaDB (which refuses them, so they only help name a charset).
 */
const cddl_collation_row *
cddl_collation_find(const char *name, cddl_flavour flavour)
{
	char		buf[96];
	const cddl_collation_row *r = NULL;

	if (name == NULL)
		return NULL;
	if (strncmp(name, "utf8_", 5) == 0 || strncmp(name, "UTF8_", 5) == 0)
	{
		snprintf(buf, sizeof(buf), "utf8mb3_%s", name + 5);
		name = buf;
	}
	if (flavour == CDDL_MYSQL)
		r = find_in(cddl_mysql_collations, cddl_mysql_ncollations, name);
	if (r == NULL)
		r = find_in(cddl_mariadb_collations, cddl_mariadb_ncollations, name);
	if (r == NULL && flavour != CDDL_MYSQL)
		r = find_in(cddl_mysql_collations, cddl_mysql_ncollations, name);
	return r;
}

/*
 * Resolves a COLLATE name in the context of a charset (may be NULL):
 * a full name, or a MariaDB charset-less name such as "uca1400_ai_ci"
 * that applies to the charset.  NULL when unknown.
 */
const cddl_collation_row *
cddl_collation_resolve(const char *name, const char *charset,
					   cddl_flavour flavour)
{
	const cddl_collation_row *r = cddl_collation_find(name, flavour);
	char		buf[128];

	if (r == NULL && charset != NULL && name != NULL)
	{
		snprintf(buf, sizeof(buf), "%s_%s", charset, name);
		r = cddl_collation_find(buf, flavour);
	}
	return r;
}

/* The binary collation of a charset (BINARY attribute), or NULL. */
const char *
cddl_charset_bin_collation(const char *charset, cddl_flavour flavour)
{
	char		buf[64];
	const cddl_collation_row *r;

	if (cddl_name_eq(charset, "binary"))
		return "binary";
	/* MySQL 8.0's utf8mb4 BINARY is utf8mb4_bin, like MariaDB's */
	snprintf(buf, sizeof(buf), "%s_bin", charset ? charset : "");
	r = cddl_collation_find(buf, flavour);
	return r ? r->name : NULL;
}

/* The number of a collation or of a charset's default collation; 0 unknown. */
int
cddl_collation_id(const char *name, cddl_flavour flavour)
{
	const cddl_collation_row *r = cddl_collation_find(name, flavour);

	if (r == NULL)
		r = cddl_collation_find(cddl_charset_default_collation(name, flavour),
								flavour);
	return r ? r->id : 0;
}

/* The name of collation number id for a flavour, or NULL. */
const char *
cddl_collation_name(int id, cddl_flavour flavour)
{
	size_t		i;

	if (flavour == CDDL_MYSQL)
	{
		for (i = 0; i < cddl_mysql_ncollations; i++)
		{
			if (cddl_mysql_collations[i].id == id)
				return cddl_mysql_collations[i].name;
		}
	}
	for (i = 0; i < cddl_mariadb_ncollations; i++)
	{
		if (cddl_mariadb_collations[i].id == id)
			return cddl_mariadb_collations[i].name;
	}
	return NULL;
}
