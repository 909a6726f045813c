/*-------------------------------------------------------------------------
 *
 * source_state.c
 *	  The one owner of a source's state (see source_state.h): its status
 *	  and desired state, the errors recorded for it, the tables disabled by
 *	  an error, the notifications that announce them, and the advisory
 *	  locks that keep its workers alone.  The install script's functions
 *	  change states through chameleon._set_state(), so that a status is
 *	  written by this file only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/xact.h"
#include "commands/async.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "source_state.h"
#include "worker_util.h"

/* a NOTIFY payload must stay under 8000 bytes */
#define NOTIFY_MAX_PAYLOAD	7900

PG_FUNCTION_INFO_V1(chameleon_sql_set_state);
PG_FUNCTION_INFO_V1(chameleon_sql_caller);

/* See source_state.h. */
void
chameleon_state_set(int32 source_id, const char *status, const char *desired_state,
					bool set_error, const char *last_error)
{
	CAT_RUN("UPDATE chameleon.source"
			"   SET status = coalesce($2, status),"
			"       desired_state = coalesce($3, desired_state),"
			"       last_error = CASE WHEN $4 THEN $5 ELSE last_error END,"
			"       status_changed_at = CASE WHEN $2 IS DISTINCT FROM status"
			"                                THEN now() ELSE status_changed_at END"
			" WHERE source_id = $1",
			cat_int4(source_id), cat_text(status), cat_text(desired_state),
			cat_bool(set_error), cat_text(last_error));
}

/* Appends one error_log row, naming the table by its PostgreSQL name. */
static void
log_error(int32 source_id, const ChameleonFailure *f)
{
	CAT_RUN("INSERT INTO chameleon.error_log (source_id, schema_name, table_name,"
			"                                 sql_text, error_message)"
			" SELECT $1, coalesce(t.schema_name, $2), coalesce(t.table_name, $3), $4, $5"
			"   FROM chameleon.source s"
			"   LEFT JOIN chameleon.replica_table t"
			"     ON t.source_id = s.source_id AND t.source_schema = $2 AND t.source_table = $3"
			"  WHERE s.source_id = $1",
			cat_int4(source_id), cat_text(f->schema), cat_text(f->table),
			cat_text(f->sql), cat_text(f->message ? f->message : "unknown error"));
}

/* See source_state.h. */
void
chameleon_state_record_error(int32 source_id, const char *source_name,
							 const ChameleonFailure *f, bool enter_error)
{
	log_error(source_id, f);
	if (enter_error)
	{
		chameleon_state_set(source_id, "error", NULL, true, f->message);
		chameleon_notify(source_name, "error", f->message);
	}
}

/* See source_state.h. */
void
chameleon_state_stop_on_error(int32 source_id, const char *source_name,
							  const ChameleonFailure *f)
{
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	chameleon_xact_begin("chameleon: record a failure");
	chameleon_state_record_error(source_id, source_name, f, true);
	chameleon_xact_commit();
	ereport(LOG,
			(errmsg("source \"%s\" stopped on error: %s", source_name, f->message)));
	proc_exit(0);
}

static void notify_with_prefix(const char *source, const char *event,
							   const char *prefix, const char *message);

/* See source_state.h. */
bool
chameleon_state_disable_table(int32 source_id, const char *source_name,
							  const ChameleonFailure *f, const char *reason)
{
	uint64		n = 0;

	if (f->schema != NULL && f->table != NULL)
		n = CAT_RUN("UPDATE chameleon.replica_table SET enabled = false, disabled_reason = $4"
					" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3"
					"   AND enabled",
					cat_int4(source_id), cat_text(f->schema), cat_text(f->table),
					cat_text(reason));
	log_error(source_id, f);
	if (n == 0)
		return false;
	notify_with_prefix(source_name, "table disabled",
					   psprintf("%s.%s: ", f->schema, f->table), f->message);
	return true;
}

/* Appends the payload {source, event, detail}. */
static void
payload(StringInfo buf, const char *source, const char *event, const char *detail)
{
	appendStringInfoString(buf, "{\"source\": ");
	escape_json(buf, source);
	appendStringInfoString(buf, ", \"event\": ");
	escape_json(buf, event);
	appendStringInfoString(buf, ", \"detail\": ");
	escape_json(buf, detail ? detail : "");
	appendStringInfoChar(buf, '}');
}

/*
 * Copies text without the values it quotes: a payload is readable by any
 * role that can LISTEN, and error messages quote row values ("invalid
 * input syntax for type integer: "abc"", "Key (id)=(42) already exists",
 * "Failing row contains (...)", byte sequences 0x...).  Quoted parts
 * become "..." or '...', parenthesised values after "=" or "contains"
 * become (...), hexadecimal bytes 0x..; the words around them stay.
 */
static void
append_without_values(StringInfo buf, const char *text)
{
	const char *p = text;

	while (*p)
	{
		char		c = *p;

		if (c == '"' ||
			(c == '\'' && (p == text || !isalnum((unsigned char) p[-1]))))
		{
			const char *close = strchr(p + 1, c);

			appendStringInfo(buf, "%c...%c", c, c);
			if (close == NULL)
				return;			/* unbalanced: drop the rest */
			p = close + 1;
			continue;
		}
		if (c == '(' && p > text &&
			(p[-1] == '=' ||
			 (p - text >= 9 && strncmp(p - 9, "contains ", 9) == 0)))
		{
			int			depth = 0;

			for (; *p; p++)
			{
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0)
					break;
			}
			appendStringInfoString(buf, "(...)");
			if (*p == '\0')
				return;
			p++;
			continue;
		}
		if (c == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char) p[2]) &&
			(p == text || !isalnum((unsigned char) p[-1])))
		{
			p += 2;
			while (isxdigit((unsigned char) *p))
				p++;
			appendStringInfoString(buf, "0x..");
			continue;
		}
		appendStringInfoChar(buf, c);
		p++;
	}
}

/* Sends the notification: prefix as it is, then message without values. */
static void
notify_with_prefix(const char *source, const char *event, const char *prefix,
				   const char *message)
{
	StringInfoData detail;
	StringInfoData buf;

	initStringInfo(&detail);
	appendStringInfoString(&detail, prefix);
	if (message != NULL)
		append_without_values(&detail, message);
	initStringInfo(&buf);
	payload(&buf, source, event, detail.data);
	if (buf.len >= NOTIFY_MAX_PAYLOAD)
	{
		resetStringInfo(&buf);
		payload(&buf, source, event, "(too long, see chameleon.show_errors)");
	}
	Async_Notify("chameleon", buf.data);
}

/* See source_state.h. */
void
chameleon_notify(const char *source, const char *event, const char *detail)
{
	notify_with_prefix(source, event, "", detail);
}

/* See source_state.h. */
bool
chameleon_state_lock(ChameleonLockClass cls, int32 source_id, const char *source_name,
					 bool wait)
{
	for (int waited = 0;; waited++)
	{
		bool		locked;

		chameleon_xact_begin("chameleon: lock the source");
		locked = DatumGetBool(DirectFunctionCall2(pg_try_advisory_lock_int4,
												  Int32GetDatum((int32) cls),
												  Int32GetDatum(source_id)));
		chameleon_xact_commit();
		if (locked || !wait)
			return locked;

		/*
		 * A worker the launcher has just told to stop may hold it for a
		 * moment yet: wait for it rather than fail, which would record a
		 * spurious error and put this worker in the launcher's back-off.
		 */
		if (waited == 0)
			ereport(LOG,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("another worker of the same kind is running for source \"%s\"; waiting",
							source_name)));
		chameleon_nap(1000L, PG_WAIT_EXTENSION);
	}
}

/* See source_state.h. */
void
chameleon_state_round_lock(int32 source_id, bool exclusive)
{
	(void) DirectFunctionCall2(exclusive ? pg_advisory_xact_lock_int4
							   : pg_advisory_xact_lock_shared_int4,
							   Int32GetDatum((int32) CHAMELEON_LOCK_ROUND),
							   Int32GetDatum(source_id));
}

/*
 * chameleon._set_state(source_id, status, desired_state, set_error,
 * last_error) returns void: the state changes of the install script's
 * functions (start_replica, stop_replica, enable_replica...).
 */
Datum
chameleon_sql_set_state(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	char	   *status = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *desired = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	bool		set_error = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	char	   *last_error = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));

	SPI_connect();
	chameleon_state_set(source_id, status, desired, set_error, last_error);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * chameleon._caller() returns regrole: the role that called the management
 * function, outside its SECURITY DEFINER (the owner of a new source).
 */
Datum
chameleon_sql_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetOuterUserId());
}
