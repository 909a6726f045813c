/*-------------------------------------------------------------------------
 *
 * replay_apply_internal.h
 *	  The replay's row appliers: the relation cache (replay_relation.c), the
 *	  plans kept per table, operation and column set (replay_apply.c), and
 *	  the two ways of applying a row behind one interface, as pglogical
 *	  keeps its heap and SPI appliers:
 *
 *	  replay_apply_heap.c  the executor's simple-relation routines, as
 *	                       PostgreSQL's own apply worker uses them
 *	  replay_apply_spi.c   a kept SPI plan of the equivalent statement
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_REPLAY_APPLY_INTERNAL_H
#define CHAMELEON_REPLAY_APPLY_INTERNAL_H

#include "postgres.h"

#include "executor/execdesc.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/bitmapset.h"
#include "nodes/execnodes.h"
#include "nodes/primnodes.h"

#include "geometry.h"
#include "replay_internal.h"

/* room for "schema<US>table" of MySQL names (64 characters, 4 bytes each) */
#define REPLAY_KEY_LEN 520

struct ReplayApplyMethod;

/* A kept plan for one operation and column set of a table. */
typedef struct ReplayPlan
{
	struct ReplayPlan *next;
	char		op;				/* I, U, D */
	struct varlena *after_names;	/* the images it was built for */
	struct varlena *before_names;
	char	   *sql;			/* the equivalent statement (error_log) */
	bool		noop;			/* no image column exists in the target */
	const struct ReplayApplyMethod *method;

	/* SPI: the statement's parameters */
	SPIPlanPtr	plan;
	int			nparams;
	int		   *src;			/* per parameter: index in the image */
	bool	   *from_before;	/* per parameter: before (true) or after image */

	/* heap: the executor routines */
	int			nafter;			/* elements of the after-image */
	int		   *after_col;		/* per element: target column index or -1 */
	int		   *key_src;		/* per key index column: before-image index */
	Bitmapset  *updated_cols;	/* U: the columns SET (for column triggers) */
	int			ndefaults;		/* I: target columns absent from the image */
	int		   *default_col;	/* their column index */
	Expr	  **default_expr;	/* their planned default, NULL: none */

	/*
	 * Geometry: per image element, the target column whose type makes its
	 * value change form (bytea, PostGIS geometry; geometry.c), or -1; NULL
	 * when no element's does.
	 */
	int		   *after_geo;
	int			nafter_geo;
	int		   *before_geo;
	int			nbefore_geo;
} ReplayPlan;

/* What the heap way needs of a target column. */
typedef struct ReplayColumn
{
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			ioparam;
	FmgrInfo	input;			/* the type's input function */
	ChameleonGeoTarget geo;		/* what the type makes of a geometry */
} ReplayColumn;

/*
 * The executor state of one-row statements on a table (replay_apply_heap.c):
 * the result relation with its indexes open, kept across rows.
 */
typedef struct ReplayExec
{
	struct ReplayExec *next;
	struct ReplayTable *table;
	Relation	rel;
	EState	   *estate;
	RangeTblEntry *rte;
	ResultRelInfo *rri;
	Relation	key_idx;		/* the key index among rri's, or NULL */
	TupleTableSlot *newslot;
	EPQState	epq;
} ReplayExec;

/* A replicated table as the replay sees it. */
typedef struct ReplayTable
{
	char		key[REPLAY_KEY_LEN];	/* hash key: schema US table */
	bool		present;		/* in replica_table at the last load */
	bool		enabled;
	char	   *schema_name;	/* target */
	char	   *table_name;
	char	   *identity;
	char	   *key_columns;	/* text[] literal, to detect changes */
	List	   *keys;			/* char * */
	/* target columns, read when the first plan is built */
	bool		cols_loaded;
	bool		stale;			/* relcache invalidation seen: reload */
	Oid			relid;
	Oid			owner;			/* rows are applied as this role */
	int			ncols;			/* not dropped, not generated */
	char	  **colnames;
	char	  **coltypes;		/* the type without modifier */
	bool	   *comparable;		/* type has an equality operator */
	ReplayColumn *cols;
	bool		direct_insert;	/* the heap way can insert */
	/* the unique index of the key columns, for heap UPDATE / DELETE */
	Oid			key_index;		/* InvalidOid: none usable */
	int			nkeyatts;
	int		   *key_col;		/* per index column: target column index */
	RegProcedure *key_eqproc;	/* per index column: equality function */
	Oid		   *key_coll;
	ReplayPlan *plans;
	ReplayExec *exec;			/* kept executor state, NULL: none */
} ReplayTable;

/* One way of applying rows. */
typedef struct ReplayApplyMethod
{
	const char *name;

	/*
	 * Sets the plan up for this method from the image column names; false
	 * when this method cannot apply the plan's rows exactly.
	 */
	bool		(*prepare) (ReplayTable *t, ReplayPlan *p, char **anames, int na,
							char **bnames, int nb);

	/* Applies one row; false when UPDATE or DELETE found no row. */
	bool		(*apply) (ReplayTable *t, ReplayPlan *p, const Datum *bvals,
						  const bool *bnulls, const Datum *avals, const bool *anulls);

	/* Frees what prepare kept. */
	void		(*release) (ReplayPlan *p);
} ReplayApplyMethod;

extern const ReplayApplyMethod replay_heap_method;
extern const ReplayApplyMethod replay_spi_method;

/* replay_apply_heap.c: releases the executor state kept for a table */
extern void replay_exec_close(ReplayTable *t);

/* replay_relation.c */
extern MemoryContext replay_cache_context(void);
extern ReplayTable *replay_table_lookup(const char *schema, const char *table);
extern void replay_table_prepare(ReplayTable *t);
extern int	replay_column_index(const ReplayTable *t, const char *name);

/* replay_apply.c */
extern void replay_plans_free(ReplayTable *t);

/* replay_apply_spi.c: the statement text and parameters of a plan */
extern int	replay_spi_statement(ReplayTable *t, ReplayPlan *p, char **anames, int na,
								 char **bnames, int nb);

#endif							/* CHAMELEON_REPLAY_APPLY_INTERNAL_H */
