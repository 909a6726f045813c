/*-------------------------------------------------------------------------
 *
 * arena.c
 *	  Region allocator for the DDL translator.
 *
 * Every node of a parsed document and every generated string is allocated
 * in one arena and freed at once, so that error paths never leak and the
 * caller (possibly a PostgreSQL backend about to ereport) frees with one
 * call.  Allocation failures return NULL; callers turn them into errors.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

#define ARENA_BLOCK 8192

typedef struct arena_block
{
	struct arena_block *next;
	size_t		used;
	size_t		size;
	/* data follows, aligned for any object */
	max_align_t data[];
} arena_block;

struct cddl_arena
{
	arena_block *head;
};

/* Creates an empty arena; NULL when out of memory. */
cddl_arena *
cddl_arena_create(void)
{
	return calloc(1, sizeof(cddl_arena));
}

/* Frees an arena and all its blocks. */
void
cddl_arena_destroy(cddl_arena *a)
{
	arena_block *b;

	if (a == NULL)
		return;
	b = a->head;
	while (b)
	{
		arena_block *next = b->next;

		free(b);
		b = next;
	}
	free(a);
}

/* Returns size zeroed bytes aligned for any type, or NULL. */
void *
cddl_alloc(cddl_arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	arena_block *b = a->head;
	char	   *p;

	/* refuse absurd sizes; also keeps the rounding below from overflowing */
	if (size > ((size_t) 1 << 30))
		return NULL;
	size = (size + align - 1) / align * align;
	if (size == 0)
		size = align;

	if (b == NULL || b->size - b->used < size)
	{
		size_t		bsize = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(arena_block) + bsize);
		if (b == NULL)
			return NULL;
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *) b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

/* Copies len bytes of s into the arena as a NUL-terminated string. */
char *
cddl_strndup(cddl_arena *a, const char *s, size_t len)
{
	char	   *r = cddl_alloc(a, len + 1);

	if (r == NULL)
		return NULL;
	if (len > 0)
		memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

/* Copies a NUL-terminated string into the arena. */
char *
cddl_strdup(cddl_arena *a, const char *s)
{
	return cddl_strndup(a, s, strlen(s));
}
