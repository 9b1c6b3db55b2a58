/* The one allocation wrapper: out of memory aborts with a message, so callers
 * never carry untested NULL branches. */
#ifndef MG_MEM_H
#define MG_MEM_H
#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
/* Zero memory in a way the compiler may not elide (for secrets). */
void mem_wipe(void *p, size_t n);

#endif
