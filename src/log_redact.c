/*-------------------------------------------------------------------------
 *
 * log_redact.c
 *	  Hides the values of "password" keys in texts on their way to the
 *	  server log (see chameleon.c's emit_log_hook).
 *
 *	  A source configuration carries the MySQL password, and PostgreSQL
 *	  copies the call that gives it into the log in several ways: the
 *	  statement (log_statement, log_min_duration_statement, auto_explain),
 *	  the bind parameters of the extended protocol (in the detail), the
 *	  statement of an error (log_min_error_statement), the parameters of
 *	  an error (in the context).  The call's text may quote the
 *	  configuration as an SQL literal (quotes doubled), an E'' string
 *	  (\n for line ends), a dollar-quoted string or a parameter, and the
 *	  configuration may be block YAML, flow YAML or JSON: the value is
 *	  therefore not parsed but hidden generously, from the key to the end
 *	  of its line, plus the following more indented lines when the value
 *	  starts there (block scalars), or the rest of the text when a quoted
 *	  value does not end on its line.  Hiding too much of a log line is
 *	  harmless; showing a password is not.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"

#include "log_redact.h"

#define REDACTED "********"

/* Whether c can be part of a key name (so "password" is not a whole key). */
static bool
key_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '-' || c == '.';
}

/*
 * If a "password" key starts at p, where its value starts (after the
 * colon and blanks); else NULL.  The key may be quoted ("password",
 * 'password', ''password'' inside an SQL literal, \"password\").
 */
static const char *
value_start(const char *text, const char *p)
{
	const char *q;

	if (pg_strncasecmp(p, "password", 8) != 0)
		return NULL;
	if (p > text && key_char(p[-1]))
		return NULL;
	q = p + 8;
	while (*q == '"' || *q == '\'' || *q == '\\')
		q++;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q != ':')
		return NULL;
	q++;
	while (*q == ' ' || *q == '\t')
		q++;
	/* MySQL's "Access denied ... (using password: YES)" shows no value */
	if (strncmp(q, "YES)", 4) == 0 || strncmp(q, "NO)", 3) == 0)
		return NULL;
	return q;
}

/* The end of the line holding p (its '\n' or the terminating NUL). */
static const char *
line_end(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl : p + strlen(p);
}

/* The number of columns before p on its line. */
static int
column_of(const char *text, const char *p)
{
	const char *start = p;

	while (start > text && start[-1] != '\n')
		start--;
	return (int) (p - start);
}

/*
 * Where the hidden part of a value that starts at v ends: the end of its
 * line, and more as the header comment explains.
 */
static const char *
value_end(const char *text, const char *key, const char *v)
{
	const char *end = line_end(v);
	int			indent;

	if (*v == '"' || *v == '\'')
	{
		/* no closing quote on this line: a quoted scalar spread over lines */
		if (memchr(v + 1, *v, end - (v + 1)) == NULL)
			return v + strlen(v);
		return end;
	}
	if (v != end && *v != '|' && *v != '>')
		return end;

	/* the value is on the following lines, indented more than the key */
	indent = column_of(text, key);
	while (*end == '\n')
	{
		const char *next = end + 1;
		const char *p = next;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\n' && *p != '\0' && (int) (p - next) <= indent)
			break;
		end = line_end(next);
	}
	return end;
}

/* See log_redact.h. */
char *
chameleon_redact_passwords(const char *text)
{
	StringInfoData buf;
	const char *copied = text;
	const char *p = text;
	bool		found = false;

	if (text == NULL)
		return NULL;
	while ((p = strpbrk(p, "pP")) != NULL)
	{
		const char *v = value_start(text, p);
		const char *end;

		if (v == NULL)
		{
			p++;
			continue;
		}
		if (!found)
			initStringInfo(&buf);
		found = true;
		end = value_end(text, p, v);
		appendBinaryStringInfo(&buf, copied, (int) (v - copied));
		appendStringInfoString(&buf, REDACTED);
		copied = p = end;
	}
	if (!found)
		return NULL;
	appendStringInfoString(&buf, copied);
	return buf.data;
}
