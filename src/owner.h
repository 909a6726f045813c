/*-------------------------------------------------------------------------
 *
 * owner.h
 *	  Acting as a source's owner (SPEC section 3, "Owners and privileges").
 *	  The workers and the management functions are superuser sessions;
 *	  what they do to target objects (schemas, tables, rows, constraints,
 *	  sequences) is done with the privileges of the role that owns the
 *	  source, and rows are applied as the table's owner, with
 *	  SetUserIdAndSecContext as PostgreSQL's own apply worker does in
 *	  version 16.  Catalogue statements (catalog.h) keep running with the
 *	  session's own rights meanwhile.
 *
 *	  ChameleonActor a;
 *	  chameleon_act_as(conf->owner, &a);
 *	  PG_TRY(); { ...target work... } PG_FINALLY(); { chameleon_act_end(&a); } PG_END_TRY();
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_OWNER_H
#define CHAMELEON_OWNER_H

#include "postgres.h"

/* What chameleon_act_as() replaced, for chameleon_act_end(). */
typedef struct ChameleonActor
{
	Oid			user;
	int			sec_context;
	Oid			catalog_user;
} ChameleonActor;

/* Becomes role (security-restricted) until chameleon_act_end(). */
extern void chameleon_act_as(Oid role, ChameleonActor *save);

/* Returns to the identity chameleon_act_as() replaced. */
extern void chameleon_act_end(const ChameleonActor *save);

/*
 * The identity catalogue statements run with while acting as an owner, or
 * InvalidOid when not acting.
 */
extern Oid	chameleon_catalog_user(void);

/* Forgets any acting state (error recovery: the abort reset the user). */
extern void chameleon_act_reset(void);

/*
 * ERROR unless role may act as the owner of relation relid (is it, or has
 * its privileges), naming the relation and the source in the message.
 */
extern void chameleon_check_table_owner(Oid relid, Oid role, const char *source_name);

/* The owner of relation relid, InvalidOid if it does not exist. */
extern Oid	chameleon_rel_owner(Oid relid);

#endif							/* CHAMELEON_OWNER_H */
