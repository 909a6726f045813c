/*-------------------------------------------------------------------------
 *
 * owner.c
 *	  Acting as a source's owner: the identity switch, and the checks made
 *	  before writing into a table (see owner.h).
 *
 *	  The switch is security-restricted (SECURITY_RESTRICTED_OPERATION):
 *	  code that runs meanwhile (triggers, defaults, index expressions of
 *	  the owner's tables) cannot change the session's state, as in
 *	  PostgreSQL's own maintenance commands.  A transaction abort resets
 *	  the user identity by itself; chameleon_act_reset() forgets the rest.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "owner.h"

/* the session's own identity while acting, else InvalidOid */
static Oid	acting_catalog_user = InvalidOid;

/* See owner.h. */
void
chameleon_act_as(Oid role, ChameleonActor *save)
{
	GetUserIdAndSecContext(&save->user, &save->sec_context);
	save->catalog_user = acting_catalog_user;
	if (!OidIsValid(acting_catalog_user))
		acting_catalog_user = save->user;
	SetUserIdAndSecContext(role, save->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* See owner.h. */
void
chameleon_act_end(const ChameleonActor *save)
{
	SetUserIdAndSecContext(save->user, save->sec_context);
	acting_catalog_user = save->catalog_user;
}

/* See owner.h. */
Oid
chameleon_catalog_user(void)
{
	return acting_catalog_user;
}

/* See owner.h. */
void
chameleon_act_reset(void)
{
	acting_catalog_user = InvalidOid;
}

/* See owner.h. */
Oid
chameleon_rel_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			relowner;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	relowner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return relowner;
}

/* Whether role may act as the owner of relation relid. */
static bool
chameleon_may_own(Oid relid, Oid role)
{
	Oid			relowner = chameleon_rel_owner(relid);

	return OidIsValid(relowner) && has_privs_of_role(role, relowner);
}

/* See owner.h. */
void
chameleon_check_table_owner(Oid relid, Oid role, const char *source_name)
{
	char	   *rel;

	if (chameleon_may_own(relid, role))
		return;
	rel = get_rel_name(relid);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("table \"%s.%s\" is not owned by role \"%s\", the owner of source \"%s\"",
					get_namespace_name(get_rel_namespace(relid)), rel ? rel : "?",
					GetUserNameFromId(role, true) ? GetUserNameFromId(role, true) : "?",
					source_name),
			 errhint("A source writes only into tables its owner owns: ALTER TABLE ... OWNER TO that role, or exclude the table.")));
}
