/*-------------------------------------------------------------------------
 *
 * jsondiff.c
 *	  Applies the JSON diffs of MySQL's PARTIAL_UPDATE_ROWS events
 *	  (binlog_row_value_options=PARTIAL_JSON) to the before image, so the
 *	  replica receives the complete new document.
 *
 * The before document is loaded into a small tree (nodes from a private
 * arena, scalars still pointing at their binary encoding), each diff
 * (REPLACE / INSERT / REMOVE at a JSON path such as $.a[2]."b c") is
 * applied, and the tree is printed as MySQL prints JSON.  Loading shares
 * jsonbin.c's container checks and work budget, so a document whose entries
 * point at shared bytes cannot make the tree (or the arena) grow beyond a
 * small multiple of the input.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"
#include "jsonbin.h"

#define DIFF_MAX_DEPTH CBL_JB_MAX_DEPTH

/*
 * Members all the diffs of one document may walk past.  Each path leg
 * walks the members of its container in order, so k diffs into a
 * container of n members cost k*n steps: quadratic in the row (10000 diffs
 * at the end of a 100000-element array, a 630 KB row, took 1.3 s).  A step
 * costs about a nanosecond, so this bounds a row to 20 ms plus 0.3 s per
 * MB.  MySQL logs diffs only for the paths of one JSON_SET, JSON_REPLACE or
 * JSON_REMOVE call, and the bound still allows some 750 paths at the very
 * end of an array of any length, 2000 into one of 10000 elements.
 */
#define DIFF_WALK_ALLOWANCE ((uint64_t) 1 << 24)
#define DIFF_WALK_PER_BYTE 256

typedef struct walk_budget
{
	uint64_t	left;
	uint64_t	limit;
	bool		over;			/* set when a walk ran out */
} walk_budget;

typedef struct jnode
{
	uint8_t		type;			/* JB_SMALL_OBJECT / JB_SMALL_ARRAY or scalar */
	const uint8_t *data;		/* scalar encoding */
	size_t		len;
	const uint8_t *key;			/* member name when inside an object */
	uint32_t	keylen;
	struct jnode *child;		/* first child */
	struct jnode *next;
} jnode;

/* Allocate a zeroed node. */
static jnode *
new_node(cbl_arena *a)
{
	jnode	   *n = cbl_arena_alloc(a, sizeof(jnode));

	if (n)
		memset(n, 0, sizeof(*n));
	return n;
}

/*
 * Build a tree for the value of `type` at p (len bytes available); every
 * byte read is charged to b (see cbl_jb_budget_init).
 */
static jnode *
load(cbl_arena *a, uint8_t type, const uint8_t *p, size_t len, bool inlined,
	 int depth, cbl_jb_budget *b, cbl_error *err)
{
	jnode	   *n = new_node(a);
	cbl_jb_container c;
	jnode	   *last = NULL;

	if (n == NULL)
	{
		(void) cbl_seterr(err, CBL_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	if (type > JB_LARGE_ARRAY || inlined)
	{
		n->type = type;
		n->data = p;
		n->len = len;
		return n;
	}
	if (depth > DIFF_MAX_DEPTH)
	{
		(void) cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON nested too deeply");
		return NULL;
	}
	if (cbl_jb_open(&c, type, p, len, b, err) < 0)
		return NULL;
	n->type = c.is_obj ? JB_SMALL_OBJECT : JB_SMALL_ARRAY;
	for (uint32_t i = 0; i < c.count; i++)
	{
		cbl_jb_elem e;
		jnode	   *child;

		if (cbl_jb_element(&c, i, &e, b, err) < 0)
			return NULL;
		child = load(a, e.type, e.data, e.len, e.inlined, depth + 1, b, err);
		if (child == NULL)
			return NULL;
		child->key = e.key;
		child->keylen = e.keylen;
		if (last)
			last->next = child;
		else
			n->child = child;
		last = child;
	}
	return n;
}

/* Print a tree as JSON text. */
static int
print_node(cbl_buf *out, const jnode *n, int depth, cbl_error *err)
{
	bool		is_obj = n->type == JB_SMALL_OBJECT;

	if (n->type != JB_SMALL_OBJECT && n->type != JB_SMALL_ARRAY)
		return cbl_jb_scalar(out, n->type, n->data, n->len, err);
	if (depth > DIFF_MAX_DEPTH)
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON nested too deeply");
	cbl_buf_putc(out, is_obj ? '{' : '[');
	for (const jnode *c = n->child; c; c = c->next)
	{
		if (c != n->child)
			cbl_buf_append(out, ", ", 2);
		if (is_obj)
		{
			cbl_buf_putc(out, '"');
			cbl_json_escape(out, c->key, c->keylen);
			cbl_buf_append(out, "\": ", 3);
		}
		if (print_node(out, c, depth + 1, err) < 0)
			return -1;
	}
	cbl_buf_putc(out, is_obj ? '}' : ']');
	return 0;
}

/* One leg of a JSON path. */
typedef struct leg
{
	bool		is_member;
	uint32_t	index;
	const uint8_t *name;		/* in the path text, or unescaped copy */
	uint32_t	namelen;
} leg;

/* Parse "$.a[1]."x y"" into legs (member names unescaped into the arena). */
static int
parse_path(cbl_arena *a, const uint8_t *p, size_t len, leg *legs, int maxlegs,
		   int *nlegs, cbl_error *err)
{
	size_t		i = 0;
	int			n = 0;

	if (len < 1 || p[0] != '$')
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff path does not start with $");
	i = 1;
	while (i < len)
	{
		if (n >= maxlegs)
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff path too long");
		if (p[i] == '.')
		{
			i++;
			legs[n].is_member = true;
			if (i < len && p[i] == '"')
			{
				size_t		end = ++i;
				uint32_t	o = 0;
				uint8_t    *dst;

				/*
				 * Measure first, so the copy costs the name's length, not
				 * the whole path's for every quoted leg.
				 */
				while (end < len && p[end] != '"')
				{
					if (p[end] == '\\' && end + 1 < len)
						end++;
					end++;
					o++;
				}
				if (end >= len)
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "unterminated key in JSON diff path");
				dst = cbl_arena_alloc(a, o > 0 ? o : 1);
				if (dst == NULL)
					return cbl_seterr(err, CBL_ERR_NOMEM, 0, "out of memory");
				o = 0;
				while (i < end)
				{
					if (p[i] == '\\' && i + 1 < len)
						i++;
					dst[o++] = p[i++];
				}
				i = end + 1;
				legs[n].name = dst;
				legs[n].namelen = o;
			}
			else
			{
				size_t		s = i;

				while (i < len && p[i] != '.' && p[i] != '[')
					i++;
				legs[n].name = p + s;
				legs[n].namelen = (uint32_t) (i - s);
			}
		}
		else if (p[i] == '[')
		{
			uint64_t	v = 0;
			size_t		s = ++i;

			while (i < len && p[i] >= '0' && p[i] <= '9' && v < UINT32_MAX)
				v = v * 10 + (uint64_t) (p[i++] - '0');
			if (i == s || i >= len || p[i] != ']' || v >= UINT32_MAX)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "bad array index in JSON diff path");
			i++;
			legs[n].is_member = false;
			legs[n].index = (uint32_t) v;
		}
		else
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "bad JSON diff path");
		n++;
	}
	*nlegs = n;
	return 0;
}

/*
 * Find the slot (pointer to the link) holding the child matching a leg;
 * NULL when there is none or when the walk budget runs out (w->over).
 */
static jnode **
find_slot(jnode *parent, const leg *l, walk_budget *w)
{
	jnode	  **slot = &parent->child;
	uint32_t	i = 0;

	if (l->is_member != (parent->type == JB_SMALL_OBJECT))
		return NULL;
	if (parent->type != JB_SMALL_OBJECT && parent->type != JB_SMALL_ARRAY)
		return NULL;
	for (; *slot; slot = &(*slot)->next, i++)
	{
		if (w->left == 0)
		{
			w->over = true;
			return NULL;
		}
		w->left--;
		if (l->is_member)
		{
			if ((*slot)->keylen == l->namelen &&
				memcmp((*slot)->key, l->name, l->namelen) == 0)
				return slot;
		}
		else if (i == l->index)
			return slot;
	}
	return NULL;
}

/* The error for a diff vector that walked past its budget. */
static int
walk_error(const walk_budget *w, cbl_error *err)
{
	return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
					  "JSON diffs walk past more than %llu container members",
					  (unsigned long long) w->limit);
}

/*
 * Apply one diff operation.  The INSERT walks below go no further than
 * the find_slot() just before them, so the walk budget bounds them too.
 */
static int
apply_one(cbl_arena *a, jnode *root, int op, const leg *legs, int nlegs,
		  jnode *value, walk_budget *w, cbl_error *err)
{
	jnode	   *parent = root;
	jnode	  **slot;
	const leg  *last;

	if (nlegs == 0)
	{
		if (op == 0 && value)
		{
			*root = *value;
			return 0;
		}
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff on the document root");
	}
	for (int i = 0; i < nlegs - 1; i++)
	{
		slot = find_slot(parent, &legs[i], w);
		if (slot == NULL && w->over)
			return walk_error(w, err);
		if (slot == NULL)
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff path not found in before image");
		parent = *slot;
	}
	last = &legs[nlegs - 1];
	slot = find_slot(parent, last, w);
	if (slot == NULL && w->over)
		return walk_error(w, err);
	switch (op)
	{
		case 0:				/* REPLACE */
			if (slot == NULL || value == NULL)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff REPLACE of a missing value");
			value->key = (*slot)->key;
			value->keylen = (*slot)->keylen;
			value->next = (*slot)->next;
			*slot = value;
			return 0;
		case 1:				/* INSERT */
			if (value == NULL)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff INSERT without value");
			if (parent->type == JB_SMALL_OBJECT && last->is_member)
			{
				jnode	  **s = &parent->child;

				if (slot)
				{
					/* member exists already: behave like JSON_SET */
					value->key = (*slot)->key;
					value->keylen = (*slot)->keylen;
					value->next = (*slot)->next;
					*slot = value;
					return 0;
				}
				value->key = last->name;
				value->keylen = last->namelen;
				/* MySQL keeps keys ordered by length, then bytes */
				while (*s && ((*s)->keylen < value->keylen ||
							  ((*s)->keylen == value->keylen &&
							   memcmp((*s)->key, value->key, value->keylen) < 0)))
					s = &(*s)->next;
				value->next = *s;
				*s = value;
				return 0;
			}
			if (parent->type == JB_SMALL_ARRAY && !last->is_member)
			{
				jnode	  **s = &parent->child;
				uint32_t	i = 0;

				while (*s && i < last->index)
				{
					s = &(*s)->next;
					i++;
				}
				value->next = *s;
				*s = value;
				return 0;
			}
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff INSERT into a scalar");
		case 2:				/* REMOVE */
			if (slot == NULL)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON diff REMOVE of a missing value");
			*slot = (*slot)->next;
			return 0;
		default:
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "unknown JSON diff operation %d", op);
	}
	(void) a;
}

/* Apply a diff vector to a binary JSON document; append the result text. */
int
cbl_json_apply_diff(const uint8_t *doc, size_t doclen, const uint8_t *diff,
					size_t difflen, cbl_buf *out, cbl_error *err)
{
	cbl_arena	a = {NULL};
	cbl_jb_budget b;
	walk_budget w;
	jnode	   *root;
	cbl_rd		r;
	int			rc = -1;
	leg			legs[DIFF_MAX_DEPTH];

	/* one budget for the document and every value in the diff */
	cbl_jb_budget_init(&b, doclen + difflen);
	w.limit = DIFF_WALK_ALLOWANCE +
		(uint64_t) DIFF_WALK_PER_BYTE * ((uint64_t) doclen + difflen);
	w.left = w.limit;
	w.over = false;
	if (doclen == 0)
		root = load(&a, JB_LITERAL, (const uint8_t *) "\0", 1, true, 0, &b, err);
	else
		root = load(&a, doc[0], doc + 1, doclen - 1, false, 0, &b, err);
	if (root == NULL)
		goto done;

	cbl_rd_init(&r, diff, difflen, 0);
	while (cbl_rd_left(&r) > 0)
	{
		uint8_t		op;
		uint64_t	plen,
					vlen;
		const uint8_t *path,
				   *val;
		jnode	   *value = NULL;
		int			nlegs;

		if (cbl_rd_u8(&r, &op, err, "JSON diff operation") < 0 ||
			cbl_rd_lenenc(&r, &plen, err, "JSON diff path length") < 0 ||
			cbl_rd_bytes(&r, plen, &path, err, "JSON diff path") < 0)
			goto done;
		if (op > 2)
		{
			(void) cbl_seterr(err, CBL_ERR_CORRUPT, 0, "unknown JSON diff operation %u", op);
			goto done;
		}
		if (op != 2)
		{
			if (cbl_rd_lenenc(&r, &vlen, err, "JSON diff value length") < 0 ||
				cbl_rd_bytes(&r, vlen, &val, err, "JSON diff value") < 0)
				goto done;
			if (vlen == 0)
			{
				(void) cbl_seterr(err, CBL_ERR_CORRUPT, 0, "empty JSON diff value");
				goto done;
			}
			value = load(&a, val[0], val + 1, vlen - 1, false, 0, &b, err);
			if (value == NULL)
				goto done;
		}
		if (parse_path(&a, path, plen, legs, DIFF_MAX_DEPTH, &nlegs, err) < 0 ||
			apply_one(&a, root, op, legs, nlegs, value, &w, err) < 0)
			goto done;
	}
	rc = print_node(out, root, 0, err);
done:
	cbl_arena_free(&a);
	return rc;
}
