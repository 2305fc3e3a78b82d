/* util.h: small building blocks shared by every layer: an arena, a string buffer. */
#ifndef BOXNET_UTIL_H
#define BOXNET_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* For a static function that gcc -Os inlines at a cost: copied into each of several callers,
 * or swelling its one caller's frame. Each use is measured by make size. */
#define NOINLINE __attribute__((noinline))

/* One owner for many small allocations that live as long as the config: freed at once. */
struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t size);	/* zeroed; NULL when out of memory */
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

/* A growing string; after an allocation failure it keeps its text and sets oom. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void sbuf_addf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sbuf_add(struct sbuf *s, const char *text, size_t len);
const char *sbuf_str(const struct sbuf *s);
void sbuf_free(struct sbuf *s);

/* Grow *arr (of *cap elements of size elem) to hold at least n; -1 when out of memory. */
int grow(void *arr, size_t *cap, size_t n, size_t elem);

/* FNV-1a, 32 bits: boxnet's one hash (name tables, the table comment, bridge MACs). */
uint32_t fnv1a(const void *data, size_t len);

/* A decimal number from 0 to max, digits only: no sign, space or overflow, which strtoul
 * alone would take; leading zeros are decimal. The one parser of MTUs, prefix lengths, ports. */
bool parse_num(const char *s, unsigned max, unsigned *out);

/* One read or write of a small file: open(path, flags, 0600), then, for O_RDONLY, a read of at
 * most len - 1 bytes into buf, NUL-terminated (empty on failure), else a write of len bytes.
 * The bytes done, or -errno. */
int file_io(const char *path, int flags, char *buf, size_t len);

/* Copy a name that is known to fit (validated before) into a fixed-size buffer. */
void copy_name(char *dst, size_t size, const char *src);

#endif
